//! What the Batcher tests share: a client on the programmable fake, batchers, messages.

use std::time::Duration;

use serde_json::Value;
use sqs_client::operation::{SendMessageInput, SendMessageInputBuilder};
use sqs_client::{BatchConfig, Batcher, Client, Credentials, RetryConfig};

use super::fake::Fake;

pub const QUEUE: &str = "http://127.0.0.1:1/000000000000/q";
pub const FIFO: &str = "http://127.0.0.1:1/000000000000/q.fifo";

pub fn client(fake: &Fake) -> Client {
    Client::builder()
        .endpoint_url(fake.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new("k", "s"))
        .retry_config(RetryConfig::default().max_attempts(4).backoff(
            Duration::from_millis(1),
            Duration::from_millis(1),
            Duration::from_millis(5),
        ))
        .build()
        .unwrap()
}

/// A batcher on the fake with the given linger time and the other settings at their defaults.
pub fn lingering(fake: &Fake, linger: Duration) -> Batcher {
    Batcher::with_config(client(fake), BatchConfig::default().linger(linger))
}

pub fn msg(queue: &str, body: &str) -> SendMessageInputBuilder {
    SendMessageInput::builder()
        .queue_url(queue)
        .message_body(body)
}

/// Sends `n` messages concurrently and returns their results in order.
pub async fn send_all(
    b: &Batcher,
    queue: &str,
    n: usize,
) -> Vec<Result<sqs_client::operation::SendMessageOutput, sqs_client::Error>> {
    let futures: Vec<_> = (0..n)
        .map(|i| {
            let b = b.clone();
            let m = msg(queue, &format!("b{i}")).build().unwrap();
            tokio::spawn(async move { b.send_message(m).await })
        })
        .collect();
    let mut out = Vec::new();
    for f in futures {
        out.push(f.await.unwrap());
    }
    out
}

pub fn entries(req: &Value) -> &Vec<Value> {
    req["Entries"].as_array().unwrap()
}
