//! `sqs-local`: the SQS-compatible service as a standalone program.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

const USAGE: &str =
    "usage: sqs-local [--port N] [--host ADDR] [--region R] [--account-id ID] [--public-host NAME]
                 [--verify KEY:SECRET ...]
  --port N           port to listen on (default 9324; 0 picks a free one)
  --host ADDR        address to bind (default 127.0.0.1)
  --region R         region in queue ARNs (default us-east-1)
  --account-id ID    account in queue URLs and ARNs (default 000000000000)
  --public-host NAME host name written in queue URLs (default: the bound address)
  --verify KEY:SECRET accept only requests SigV4-signed with this key pair (repeatable)";

fn parse() -> Result<sqs_local::Config, String> {
    let mut config = sqs_local::Config::default();
    let mut ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut port = 9324u16;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "-h" || flag == "--help" {
            return Err(String::new());
        }
        const FLAGS: [&str; 6] = [
            "--port",
            "--host",
            "--region",
            "--account-id",
            "--public-host",
            "--verify",
        ];
        if !FLAGS.contains(&flag.as_str()) {
            return Err(format!("unknown option {flag}"));
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
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
                let (key, secret) = value
                    .split_once(':')
                    .ok_or_else(|| format!("--verify: {value:?} is not KEY:SECRET"))?;
                config = config.verify_signatures(key, secret);
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
    let local = match sqs_local::start_with(config).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("sqs-local: cannot listen: {e}");
            std::process::exit(1);
        }
    };
    println!("sqs-local listening on {}", local.endpoint());
    println!(
        "  e.g. AWS_ENDPOINT_URL_SQS={} (any credentials)",
        local.endpoint()
    );
    let _ = tokio::signal::ctrl_c().await;
    local.shutdown().await;
}
