//! What the examples share: where to find an SQS, a temporary directory that goes away on
//! Ctrl-C too, errors printed as one readable line, durations and sizes for humans.

// Each example is a crate of its own and uses only some of these.
#![allow(dead_code)]

use std::fmt::Display;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use sqs_client::{Client, Credentials};

#[cfg(test)]
pub(crate) mod mock;

type BoxError = Box<dyn std::error::Error>;

const ENDPOINT_VARS: [&str; 2] = ["AWS_ENDPOINT_URL_SQS", "AWS_ENDPOINT_URL"];
const REGION_VARS: [&str; 2] = ["AWS_REGION", "AWS_DEFAULT_REGION"];

/// Whether an SQS is configured in the environment (an endpoint or a region).
pub(crate) fn configured() -> bool {
    ENDPOINT_VARS
        .iter()
        .chain(&REGION_VARS)
        .any(|k| std::env::var_os(k).is_some())
}

/// The SQS of the environment, or the embedded sqs-local when none is configured. An endpoint
/// on this machine needs no AWS credentials: when none are found, the keys `local`/`local` sign
/// the requests (a local server that checks signatures will say so).
pub(crate) async fn connect() -> Result<(Client, Option<sqs_local::LocalSqs>), BoxError> {
    if configured() {
        return Ok((from_env().await?, None));
    }
    let local = sqs_local::start().await?;
    let client = Client::builder()
        .endpoint_url(local.endpoint())
        .region("us-east-1")
        .credentials_provider(Credentials::new("example", "example"))
        .build()?;
    Ok((client, Some(local)))
}

async fn from_env() -> Result<Client, BoxError> {
    let endpoint = ENDPOINT_VARS
        .iter()
        .find_map(|k| std::env::var(k).ok())
        .filter(|e| !e.is_empty());
    // The chain caches what it finds: the client asks this same provider again, not the sources.
    let provider = sqs_client::credentials::default_provider();
    let builder = Client::builder().load_env();
    if provider.provide_credentials().await.is_ok() {
        return Ok(builder.shared_credentials_provider(provider).build()?);
    }
    match endpoint {
        Some(endpoint) if on_this_machine(&endpoint) => {
            println!(
                "No AWS credentials found; {endpoint} is on this machine, signing with the keys local/local"
            );
            let builder = builder.credentials_provider(Credentials::new("local", "local"));
            let region_set = REGION_VARS.iter().any(|k| std::env::var_os(k).is_some());
            let builder = if region_set { builder } else { builder.region("us-east-1") };
            Ok(builder.build()?)
        }
        _ => Err("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE".into()),
    }
}

/// Whether an endpoint URL names this machine (127.0.0.0/8, ::1, localhost).
fn on_this_machine(endpoint: &str) -> bool {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    let authority = rest.split('/').next().unwrap_or_default();
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or_default(),
        None => authority.split(':').next().unwrap_or_default(),
    };
    host == "localhost" || host == "::1" || host.starts_with("127.")
}

/// Runs an example's body until it ends or Ctrl-C, and turns the outcome into an exit code with
/// an error printed as one line: the error and its causes, `: `-separated.
pub(crate) async fn run(body: impl Future<Output = Result<(), BoxError>>) -> ExitCode {
    tokio::select! {
        outcome = body => report(outcome),
        _ = tokio::signal::ctrl_c() => {
            eprintln!("interrupted; cleaning up");
            ExitCode::from(130)
        }
    }
}

/// The exit code of an example's outcome, with an error printed as one line.
pub(crate) fn report(outcome: Result<(), BoxError>) -> ExitCode {
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

/// An error and its sources on one line.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut line = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        let text = cause.to_string();
        if !line.contains(&text) {
            line.push_str(": ");
            line.push_str(&text);
        }
        source = cause.source();
    }
    line
}

/// A directory under the system's temporary directory, removed when dropped (also when the
/// example is stopped with Ctrl-C, which drops it). Its name holds the process id, so a
/// directory left by a killed run is never reused; ones older than a day are swept.
pub(crate) struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub(crate) fn new(prefix: &str) -> std::io::Result<Self> {
        let base = std::env::temp_dir();
        sweep(&base, prefix);
        let path = base.join(format!("{prefix}-{}", std::process::id()));
        // A directory of the same name can only be a leftover of a process that is gone.
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)?;
        Ok(Self { path })
    }
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Removes directories `prefix-*` older than a day, left by runs that were killed.
fn sweep(base: &Path, prefix: &str) {
    let Ok(entries) = std::fs::read_dir(base) else {
        return;
    };
    let day = Duration::from_secs(24 * 3600);
    for entry in entries.flatten().take(10_000) {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .is_ok_and(|t| t.elapsed().is_ok_and(|age| age > day));
        if old && name.to_string_lossy().starts_with(&format!("{prefix}-")) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A duration as people read it: `850 µs`, `12.3 ms`, `4.56 s`.
pub(crate) fn duration(d: Duration) -> impl Display {
    let micros = d.as_micros();
    if micros < 1_000 {
        format!("{micros} µs")
    } else if micros < 1_000_000 {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    } else {
        format!("{:.2} s", d.as_secs_f64())
    }
}

/// A byte count as people read it: `912 B`, `1.4 MB`, `1.07 GB` (powers of 1,000).
pub(crate) fn size(bytes: u64) -> impl Display {
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes} B")
    } else if bytes < 1_000_000 {
        format!("{:.1} kB", b / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1} MB", b / 1e6)
    } else {
        format!("{:.2} GB", b / 1e9)
    }
}
