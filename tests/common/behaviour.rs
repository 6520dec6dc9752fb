//! What the behavioural suites share: the two servers, a client of either, receiving helpers,
//! and the macro that makes each scenario a test against each server.

use std::time::{Duration, Instant};

use sqs_client::types::*;
use sqs_client::{Client, Credentials, Protocol};

/// The server a scenario runs against.
pub enum Server {
    Moto(super::Moto),
    Local(sqs_local::LocalSqs),
}

impl Server {
    pub fn url(&self) -> String {
        match self {
            Server::Moto(m) => m.url(),
            Server::Local(l) => l.endpoint().to_owned(),
        }
    }

    /// Says (in the test output) that a case is skipped for moto and why.
    pub fn skip_for_moto(&self, why: &str) -> bool {
        let moto = matches!(self, Server::Moto(_));
        if moto {
            println!("SKIPPED for moto: {why}");
        }
        moto
    }
}

pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime")
}

/// Each scenario becomes two tests: `moto::NAME` and `local::NAME`.
#[allow(unused_macros)] // used by the behaviour suites only, not every test binary
macro_rules! on_both_servers {
    ($($name:ident),* $(,)?) => {
        mod moto {
            $(
                #[test]
                fn $name() {
                    super::runtime().block_on(async {
                        let server = super::Server::Moto(super::common::Moto::start(None));
                        super::$name(&server).await;
                    });
                }
            )*
        }
        mod local {
            $(
                #[test]
                fn $name() {
                    super::runtime().block_on(async {
                        let server = super::Server::Local(sqs_local::start().await.unwrap());
                        super::$name(&server).await;
                    });
                }
            )*
        }
    };
}

pub fn client(server: &Server, protocol: Protocol) -> Client {
    Client::builder()
        .endpoint_url(server.url())
        .region("us-east-1")
        .credentials_provider(Credentials::new("test", "test"))
        .protocol(protocol)
        .build()
        .unwrap()
}

pub async fn receive(c: &Client, url: &str, visibility: Option<i32>) -> Vec<Message> {
    c.receive_message()
        .queue_url(url)
        .max_number_of_messages(10)
        .wait_time_seconds(0)
        .set_visibility_timeout(visibility)
        .message_attribute_names("All")
        .message_system_attribute_names(MessageSystemAttributeName::All)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default()
}

/// Receives until `want` messages arrived or 10 s passed.
pub async fn receive_all(c: &Client, url: &str, want: usize) -> Vec<Message> {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut got = Vec::new();
    while got.len() < want && Instant::now() < deadline {
        got.extend(receive(c, url, Some(60)).await);
    }
    got
}

#[allow(unused_imports)]
pub(crate) use on_both_servers;
