//! What the examples share: where to find an SQS.

use sqs_client::{Client, Credentials};

/// The SQS of the environment, or the embedded sqs-local when none is configured.
pub(crate) async fn connect()
-> Result<(Client, Option<sqs_local::LocalSqs>), Box<dyn std::error::Error>> {
    let configured = [
        "AWS_ENDPOINT_URL_SQS",
        "AWS_ENDPOINT_URL",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
    ]
    .iter()
    .any(|k| std::env::var_os(k).is_some());
    if configured {
        return Ok((Client::from_env()?, None));
    }
    let local = sqs_local::start().await?;
    let client = Client::builder()
        .endpoint_url(local.endpoint())
        .region("us-east-1")
        .credentials_provider(Credentials::new("example", "example"))
        .build()?;
    Ok((client, Some(local)))
}
