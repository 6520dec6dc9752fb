//! The standalone server against hostile peers: slow heads, idle connections, oversized and
//! unauthenticated bodies, connection floods, running out of file descriptors. Each test starts
//! the binary on 127.0.0.1 and stops it by its PID; memory and CPU are read from /proc.
#![cfg(target_os = "linux")]

mod support;

use std::io::{ErrorKind, Read, Write};

use std::net::TcpStream;
use std::time::{Duration, Instant};
use support::Server;

/// Reads until the peer closes (or 15 s pass); returns what came and how long it took.
fn read_until_closed(s: &mut TcpStream) -> (String, Duration) {
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                panic!("the server kept the connection open for 15 s")
            }
            Err(_) => break, // reset
        }
    }
    (String::from_utf8_lossy(&got).into_owned(), start.elapsed())
}

/// Reads one answer's head (up to the blank line).
fn read_head(s: &mut TcpStream) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        match s.read(&mut byte) {
            Ok(1) => got.push(byte[0]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

const LIST: &str = "Action=ListQueues&Version=2012-11-05";

#[test]
fn slow_heads_and_idle_connections_are_closed() {
    let server = Server::start(&["--header-timeout", "1", "--idle-timeout", "2"]);
    // Half a request line, then nothing.
    let mut slow = server.connect();
    slow.write_all(b"POST / HTTP/1.1\r\nHo").unwrap();
    // A connection that never sends a byte.
    let mut silent = server.connect();
    // A kept-alive connection after one answer.
    let mut kept = server.connect();
    write!(
        kept,
        "POST / HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{LIST}",
        LIST.len()
    )
    .unwrap();
    let head = read_head(&mut kept);
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let start = Instant::now();
    let closed = |s: &mut TcpStream| {
        read_until_closed(s);
        start.elapsed()
    };
    let slow_closed = closed(&mut slow);
    let silent_closed = closed(&mut silent);
    let kept_closed = closed(&mut kept);
    println!(
        "closed after: half a head {slow_closed:?}, silent {silent_closed:?}, idle after an answer {kept_closed:?}"
    );
    assert!(slow_closed >= Duration::from_millis(900) && slow_closed < Duration::from_secs(5));
    // Idle: 2 s from the accept, or from the answer.
    assert!(silent_closed >= Duration::from_millis(1900) && silent_closed < Duration::from_secs(6));
    assert!(kept_closed >= Duration::from_millis(1900) && kept_closed < Duration::from_secs(6));
}

#[test]
fn bodies_are_refused_from_their_head_before_they_are_read() {
    let server = Server::start(&["--verify", "AKID:secret"]);
    // A declared size over the limit: answered at once, no body sent.
    let mut big = server.connect();
    big.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 104857600\r\n\r\n")
        .unwrap();
    let (answer, took) = read_until_closed(&mut big);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("RequestEntityTooLarge"), "{answer}");
    println!("an oversized declaration was refused in {took:?}");
    // A size within the limit but no signature: refused before the body comes.
    let mut unsigned = server.connect();
    unsigned
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 1000000\r\n\r\n")
        .unwrap();
    let (answer, _) = read_until_closed(&mut unsigned);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer}");
    assert!(answer.contains("MissingAuthenticationToken"), "{answer}");

    // Without signatures, a chunked body is counted as it arrives.
    let open = Server::start(&["--max-request-bytes", "65536"]);
    let mut chunked = open.connect();
    chunked
        .write_all(b"POST / HTTP/1.1\r\nhost: x\r\ntransfer-encoding: chunked\r\n\r\n")
        .unwrap();
    let chunk = vec![b'a'; 16 * 1024];
    for _ in 0..8 {
        // The server may close before every chunk is written.
        if write!(chunked, "{:x}\r\n", chunk.len()).is_err()
            || chunked.write_all(&chunk).is_err()
            || chunked.write_all(b"\r\n").is_err()
        {
            break;
        }
    }
    let (answer, _) = read_until_closed(&mut chunked);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[test]
fn a_flood_of_connections_is_capped_and_memory_stays_bounded() {
    let server = Server::start(&["--verify", "AKID:secret", "--max-connections", "64"]);
    let before = server.rss_kib();
    // 60 unauthenticated requests that each declare and start sending 4 MiB.
    let body = vec![b'a'; 1024 * 1024];
    let mut floods: Vec<TcpStream> = (0..60).map(|_| server.connect()).collect();
    let mut refused = 0;
    for s in &mut floods {
        let _ = s.write_all(b"POST / HTTP/1.1\r\nhost: x\r\ncontent-length: 4194304\r\n\r\n");
        let _ = s.write_all(&body);
    }
    for s in &mut floods {
        let (answer, _) = read_until_closed(s);
        refused += usize::from(answer.starts_with("HTTP/1.1 403"));
    }
    let after_bodies = server.rss_kib();
    drop(floods);
    // Connections over the cap are answered 503 and closed.
    let mut held: Vec<TcpStream> = (0..64).map(|_| server.connect()).collect();
    for s in &mut held {
        s.write_all(b"POST / HTTP/1.1\r\n").unwrap();
    }
    std::thread::sleep(Duration::from_millis(300));
    let mut over = 0;
    for _ in 0..16 {
        let mut s = server.connect();
        let (answer, _) = read_until_closed(&mut s);
        over += usize::from(answer.starts_with("HTTP/1.1 503"));
    }
    let after_flood = server.rss_kib();
    println!(
        "RSS: {before} KiB at start, {after_bodies} KiB after 60 unauthenticated 4 MiB bodies \
         ({refused} refused from their head), {after_flood} KiB with 64 connections held and 16 \
         more refused ({over} answered 503)"
    );
    assert_eq!(refused, 60);
    assert_eq!(over, 16);
    assert!(
        after_bodies < before + 32 * 1024,
        "the server held {} KiB more for bodies it refused",
        after_bodies - before
    );
    drop(held);
}

#[test]
fn running_out_of_file_descriptors_does_not_spin() {
    let server = Server::start_under(&["sh", "-c", "ulimit -n 24 && exec \"$0\" \"$@\""], &[]);
    // More connections than the process may have descriptors: accept fails with EMFILE.
    let held: Vec<TcpStream> = (0..40).map(|_| server.connect()).collect();
    std::thread::sleep(Duration::from_millis(300));
    let ticks = server.cpu_ticks();
    std::thread::sleep(Duration::from_secs(2));
    let spent = server.cpu_ticks() - ticks;
    println!("CPU over 2 s with accept failing: {spent} ticks (100 ticks = 1 s, usually)");
    assert!(spent < 50, "the accept loop spun: {spent} ticks in 2 s");
    // Once descriptors are free again, the server serves.
    drop(held);
    let mut s = server.connect();
    write!(
        s,
        "POST / HTTP/1.1\r\nhost: x\r\nconnection: close\r\ncontent-type: application/x-www-form-urlencoded\r\ncontent-length: {}\r\n\r\n{LIST}",
        LIST.len()
    )
    .unwrap();
    let (answer, _) = read_until_closed(&mut s);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}
