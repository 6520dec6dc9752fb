//! Independent peers for tests: moto server started on 127.0.0.1 from a Python virtualenv that
//! is created on first use (under `target/peers-venv`, or `SQS_PEERS_VENV`), stopped by its PID
//! when dropped.

#![allow(dead_code, unreachable_pub)]

pub mod batching;
pub mod behaviour;
pub mod credentials;
pub mod extended;
pub mod fake;

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Creates a standard queue named `name` and gives its URL.
pub async fn queue(c: &sqs_client::Client, name: &str) -> String {
    c.create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap()
}

/// Sends one message with `body` to the queue at `url`.
pub async fn send(c: &sqs_client::Client, url: &str, body: &str) {
    c.send_message()
        .queue_url(url)
        .message_body(body)
        .send()
        .await
        .unwrap();
}

/// Up to ten messages of the queue at `url`, with the queue's own wait time.
pub async fn receive_ten(c: &sqs_client::Client, url: &str) -> Vec<sqs_client::types::Message> {
    c.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

/// Deletes a received message by its receipt handle.
pub async fn delete(c: &sqs_client::Client, url: &str, m: &sqs_client::types::Message) {
    c.delete_message()
        .queue_url(url)
        .receipt_handle(m.receipt_handle.clone().unwrap())
        .send()
        .await
        .unwrap();
}

/// The virtualenv holding moto, boto3 and the Python extended client; created if missing.
pub fn venv() -> PathBuf {
    let dir = std::env::var_os("SQS_PEERS_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target/peers-venv"));
    if dir.join("bin/moto_server").exists() {
        return dir;
    }
    // Test binaries run in parallel: one installs, the others wait (bounded).
    let lock = dir.with_extension("lock");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if std::fs::create_dir(&lock).is_ok() {
            break;
        }
        if dir.join("bin/moto_server").exists() {
            return dir;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for another test to install {}",
            dir.display()
        );
        std::thread::sleep(Duration::from_millis(500));
    }
    let result = install(&dir);
    let _ = std::fs::remove_dir(&lock);
    if let Err(why) = result {
        panic!(
            "could not install the test peers into {}: {why}",
            dir.display()
        );
    }
    dir
}

fn install(dir: &Path) -> Result<(), String> {
    if dir.join("bin/moto_server").exists() {
        return Ok(());
    }
    let run = |cmd: &mut Command| -> Result<(), String> {
        let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
        if out.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{cmd:?} failed:\n{}",
                String::from_utf8_lossy(&out.stderr)
            ))
        }
    };
    // Written to the terminal itself: the test harness captures `eprintln!`.
    let started = Instant::now();
    let _ = writeln!(
        std::io::stderr(),
        "sqs-rs tests: installing the test peers once (moto server, boto3 and the Python extended \
         client, from PyPI) into {}: about 320 MB on disk, a minute or two",
        dir.display()
    );
    run(Command::new("python3").arg("-m").arg("venv").arg(dir))?;
    let shared_lock = workspace().join("../shared/reference/requirements-moto.lock");
    let requirements = if shared_lock.exists() {
        shared_lock
    } else {
        workspace().join("tests/peers/requirements.txt")
    };
    run(Command::new(dir.join("bin/pip"))
        .args(["install", "--quiet", "--disable-pip-version-check", "-r"])
        .arg(requirements))?;
    let _ = writeln!(
        std::io::stderr(),
        "sqs-rs tests: test peers installed in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Sends one HTTP/1.1 request and returns (status, body).
pub fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> std::io::Result<(u16, String)> {
    let mut stream = TcpStream::connect(("127.0.0.1", port))?;
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut request = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes())?;
    let mut response = String::new();
    stream.read_to_string(&mut response)?;
    let status = response
        .get(9..12)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Ok((status, body))
}

/// A running moto server; killed when dropped.
pub struct Moto {
    child: Child,
    pub port: u16,
}

impl Moto {
    /// Starts moto; with `first_unsigned` set, every request after that many is signature-checked.
    pub fn start(first_unsigned: Option<u32>) -> Moto {
        let venv = venv();
        let port = free_port();
        let mut cmd = Command::new(venv.join("bin/moto_server"));
        cmd.args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(n) = first_unsigned {
            cmd.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
        }
        let child = cmd.spawn().expect("moto_server starts");
        let moto = Moto { child, port };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok((200, _)) = http(port, "GET", "/moto-api/", &[], "") {
                return moto;
            }
            assert!(
                Instant::now() < deadline,
                "moto did not answer on port {port} within 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Forgets every queue, message, bucket, user.
    pub fn reset(&self) {
        let (status, _) = http(self.port, "POST", "/moto-api/reset", &[], "").unwrap();
        assert_eq!(status, 200);
    }

    /// Creates an IAM user allowed everything and returns its (access key id, secret). Uses the
    /// unsigned requests of a server started with `first_unsigned = Some(3)`.
    pub fn iam_access_key(&self) -> (String, String) {
        let iam = |body: &str| {
            let auth = "AWS4-HMAC-SHA256 Credential=bootstrap/20260101/us-east-1/iam/aws4_request, SignedHeaders=host;x-amz-date, Signature=00";
            let (status, text) = http(
                self.port,
                "POST",
                "/",
                &[
                    ("Content-Type", "application/x-www-form-urlencoded"),
                    ("Authorization", auth),
                    ("X-Amz-Date", "20260101T000000Z"),
                ],
                body,
            )
            .unwrap();
            assert_eq!(status, 200, "{body}: {text}");
            text
        };
        iam("Action=CreateUser&Version=2010-05-08&UserName=tester");
        let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#;
        let encoded: String = form_urlencoded::byte_serialize(policy.as_bytes()).collect();
        iam(&format!(
            "Action=PutUserPolicy&Version=2010-05-08&UserName=tester&PolicyName=all&PolicyDocument={encoded}"
        ));
        let text = iam("Action=CreateAccessKey&Version=2010-05-08&UserName=tester");
        let field = |name: &str| {
            let start = text.find(&format!("<{name}>")).expect(name) + name.len() + 2;
            let end = text[start..].find('<').unwrap() + start;
            text[start..end].to_owned()
        };
        (field("AccessKeyId"), field("SecretAccessKey"))
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
