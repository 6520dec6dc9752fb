//! `sqs-local`: the SQS-compatible service as a standalone program.

use std::io::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::Duration;

const USAGE: &str = "usage: sqs-local [OPTIONS]
  --port N               port to listen on (default 9324; 0 picks a free one)
  --host ADDR            address to bind (default 127.0.0.1)
  --region R             region in queue ARNs and in signed requests' scope (default us-east-1)
  --account-id ID        account in queue URLs and ARNs (default 000000000000)
  --public-host NAME     host name written in queue URLs (default: the bound address)
  --verify KEY:SECRET[:TOKEN]
                         accept only requests SigV4-signed with this key pair (and carrying
                         this session token, if given); repeatable. Checked: the key, the
                         scope (date/region/sqs/aws4_request), X-Amz-Date within 5 minutes,
                         the signed headers, the body's SHA-256. Not checked: IAM, policies.

persistence:
  --data-dir PATH        keep queues and messages in this directory (created if missing; empty
                         or written by sqs-local; one process at a time): they survive a
                         restart or a crash. An acknowledged send, delete or queue change is
                         synced before its answer. Without it, state lives in memory only.
  --lazy-sync S          with --data-dir: seconds within which receives and visibility changes
                         are written when nothing else is (default 1); a crash can take back
                         at most this much of them (a message visible again sooner)
limits (what any peer can make the server hold):
  --max-connections N    connections served at once; more are answered 503 (default 1024)
  --max-request-bytes N  largest request body, checked from Content-Length before reading
                         (default 4194304)
  --header-timeout S     seconds for a request head to arrive (default 10)
  --body-timeout S       seconds for a request body to arrive (default 30)
  --idle-timeout S       seconds a kept-alive connection may wait for a request (default 60)";

fn parse() -> Result<sqs_local::Config, String> {
    let mut config = sqs_local::Config::default();
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 9324u16;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        const FLAGS: [&str; 13] = [
            "--port",
            "--host",
            "--region",
            "--account-id",
            "--public-host",
            "--verify",
            "--max-connections",
            "--max-request-bytes",
            "--header-timeout",
            "--body-timeout",
            "--idle-timeout",
            "--data-dir",
            "--lazy-sync",
        ];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}"));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let count = |what: &str| -> Result<usize, String> {
            value
                .parse::<usize>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("{flag}: {value:?} is not {what}"))
        };
        let seconds = || -> Result<Duration, String> {
            value
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s > 0.0 && *s <= 86_400.0)
                .map(Duration::from_secs_f64)
                .ok_or_else(|| format!("{flag}: {value:?} is not a number of seconds (0 to 86400)"))
        };
        match flag.as_str() {
            "--port" => {
                port = value
                    .parse()
                    .map_err(|_| format!("--port: {value:?} is not a port"))?
            }
            "--host" => {
                ip = value
                    .parse()
                    .map_err(|_| format!("--host: {value:?} is not an IP address"))?
            }
            "--region" => config = config.region(value),
            "--account-id" => config = config.account_id(value),
            "--public-host" => config = config.public_host(value),
            "--verify" => {
                let mut fields = value.splitn(3, ':');
                let (key, secret, token) = (fields.next(), fields.next(), fields.next());
                config = match (key, secret, token) {
                    (Some(key), Some(secret), None) if !key.is_empty() && !secret.is_empty() => {
                        config.verify_signatures(key, secret)
                    }
                    (Some(key), Some(secret), Some(token))
                        if !key.is_empty() && !secret.is_empty() && !token.is_empty() =>
                    {
                        config.verify_temporary_signatures(key, secret, token)
                    }
                    _ => return Err("--verify: the value is not KEY:SECRET[:TOKEN]".into()),
                };
            }
            "--max-connections" => config = config.max_connections(count("a positive count")?),
            "--max-request-bytes" => {
                config = config.max_request_bytes(count("a positive byte count")?)
            }
            "--header-timeout" => config = config.header_timeout(seconds()?),
            "--body-timeout" => config = config.body_timeout(seconds()?),
            "--idle-timeout" => config = config.idle_timeout(seconds()?),
            #[cfg(feature = "data-dir")]
            "--data-dir" => config = config.data_dir(value),
            #[cfg(feature = "data-dir")]
            "--lazy-sync" => config = config.lazy_sync(seconds()?),
            #[cfg(not(feature = "data-dir"))]
            "--data-dir" | "--lazy-sync" => {
                return Err(format!(
                    "{flag}: this sqs-local was built without the data-dir feature"
                ));
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(config.listen(SocketAddr::new(ip, port)))
}

#[tokio::main]
async fn main() {
    let config = match parse() {
        Ok(c) => c,
        Err(why) => {
            if !why.is_empty() {
                eprintln!("sqs-local: {why}");
            }
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    };
    let verifying = !config.signing_keys.is_empty();
    let region = config.region.clone();
    let local = match sqs_local::start_with(config).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sqs-local: cannot start: {e}");
            std::process::exit(1);
        }
    };
    // Whoever started the server may close its end of stdout: the server keeps serving.
    let mut out = std::io::stdout();
    let _ = writeln!(out, "sqs-local listening on {}", local.endpoint());
    let credentials = if verifying {
        "signed with a --verify key pair, for region"
    } else {
        "any credentials, any region; e.g. region"
    };
    let _ = writeln!(
        out,
        "  e.g. AWS_ENDPOINT_URL_SQS={} ({credentials} {region})",
        local.endpoint()
    );
    let _ = out.flush();
    stopped().await;
    // Stops accepting, then writes what is left to the data directory (if any) and releases it.
    local.shutdown().await;
}

/// Waits for Ctrl-C or (on Unix) SIGTERM, which container runtimes send to stop a program.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        // Past a file-size limit (`ulimit -f`) a write fails like on a full disk (the request
        // gets a 500) instead of SIGXFSZ killing the server; tokio keeps the handler installed.
        #[cfg(target_os = "linux")]
        let _ = signal(SignalKind::from_raw(25));
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}
