//! The standalone server as the tests run it: started on 127.0.0.1 with a free port, found by
//! the first line it prints, watched through /proc, and stopped by its PID (killed when
//! dropped).
#![allow(dead_code, unreachable_pub)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// A running `sqs-local`.
pub struct Server {
    child: Child,
    pub addr: String,
}

impl Server {
    /// Runs `sqs-local --port 0 ARGS` and waits for its address.
    pub fn start(args: &[&str]) -> Self {
        Self::start_under(&[], args)
    }

    /// Runs `WRAPPER.. sqs-local --port 0 ARGS`: the wrapper (`sh -c 'ulimit ..; exec "$0" "$@"'`
    /// or `prlimit ..`) sets limits, then runs the binary in its place, so the PID is the
    /// server's.
    pub fn start_under(wrapper: &[&str], args: &[&str]) -> Self {
        let bin = env!("CARGO_BIN_EXE_sqs-local");
        let mut command = match wrapper.split_first() {
            Some((program, rest)) => {
                let mut c = Command::new(program);
                c.args(rest).arg(bin);
                c
            }
            None => Command::new(bin),
        };
        let mut child = command
            .args(["--port", "0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("sqs-local starts");
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut line = String::new();
        out.read_line(&mut line)
            .expect("sqs-local prints its address");
        // The rest of what it prints is read and dropped until it exits.
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        let addr = line
            .trim()
            .rsplit("http://")
            .next()
            .expect("the first line names the endpoint")
            .to_owned();
        assert!(addr.starts_with("127.0.0.1:"), "{line}");
        Self { child, addr }
    }

    /// A raw connection, whose reads give up after 15 s.
    pub fn connect(&self) -> std::net::TcpStream {
        let s = std::net::TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        s
    }

    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: the server gets no chance to finish anything.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// SIGTERM, then waits (up to 30 s) for the server to exit on its own.
    pub fn terminate(mut self) -> ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().expect("the server can be waited on") {
                return status;
            }
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "sqs-local did not exit within 30 s of SIGTERM"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap()
    }

    /// CPU time used so far (user + system), in clock ticks.
    pub fn cpu_ticks(&self) -> u64 {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", self.child.id())).unwrap();
        // Fields after the command name, which is in parentheses: utime and stime are the
        // 12th and 13th of them.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let fields: Vec<&str> = after.split_whitespace().collect();
        fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary to completion with these arguments (for starts that must fail): its exit
/// status and what it wrote to stderr. Bounded: a server that does start is killed after 10 s.
pub fn run_to_exit(args: &[&str]) -> (ExitStatus, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_sqs-local"))
        .args(["--port", "0"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqs-local starts");
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("waitable") {
            break status;
        }
        if start.elapsed() > Duration::from_secs(10) {
            let _ = child.kill();
            break child.wait().expect("waitable");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut e, &mut err);
    }
    (status, err)
}

/// A fresh directory under the target directory's tmp, removed when dropped.
pub struct TempDir(pub std::path::PathBuf);

impl TempDir {
    pub fn new(name: &str) -> Self {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
            "{name}-{}-{:x}",
            std::process::id(),
            fastrand_seed()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        Self(dir)
    }

    pub fn path(&self) -> &str {
        self.0.to_str().expect("a UTF-8 path")
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn fastrand_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(Instant::now())
}

/// A client of the server at `endpoint` that does not retry (a test sees every answer) and
/// gives up on an attempt after 2 s (a killed server's requests end quickly).
pub fn client(endpoint: &str) -> sqs_client::Client {
    sqs_client::Client::builder()
        .endpoint_url(endpoint)
        .region("us-east-1")
        .credentials_provider(sqs_client::Credentials::new("local", "local"))
        .retry_config(sqs_client::RetryConfig::disabled())
        .attempt_timeout(Duration::from_secs(2))
        .build()
        .expect("a client")
}

/// Every attribute of a queue.
pub async fn attributes(
    c: &sqs_client::Client,
    url: &str,
) -> std::collections::HashMap<sqs_client::types::QueueAttributeName, String> {
    c.get_queue_attributes()
        .queue_url(url)
        .attribute_names(sqs_client::types::QueueAttributeName::All)
        .send()
        .await
        .expect("GetQueueAttributes")
        .attributes
        .unwrap_or_default()
}
