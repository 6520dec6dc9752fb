//! Queue attributes, tags and listing with a paginator, written as users of the official SDK
//! write it. Only the `use` lines differ from a program for `aws-sdk-sqs`.

use sqs_client::types::QueueAttributeName;
use sqs_client::{Client, Error};

/// What the program saw, for the test to check.
#[derive(Debug)]
pub(crate) struct Seen {
    pub(crate) visibility_timeout: Option<String>,
    pub(crate) delay_seconds: Option<String>,
    pub(crate) tags: Vec<(String, String)>,
    pub(crate) listed: Vec<String>,
}

pub(crate) async fn run(client: &Client) -> Result<Seen, Error> {
    let created = client
        .create_queue()
        .queue_name("porting-attributes")
        .attributes(QueueAttributeName::VisibilityTimeout, "45")
        .tags("team", "payments")
        .send()
        .await?;
    let queue_url = created.queue_url().unwrap_or_default();

    client
        .set_queue_attributes()
        .queue_url(queue_url)
        .attributes(QueueAttributeName::DelaySeconds, "5")
        .send()
        .await?;
    let attrs = client
        .get_queue_attributes()
        .queue_url(queue_url)
        .attribute_names(QueueAttributeName::All)
        .send()
        .await?;
    let mut visibility_timeout = None;
    let mut delay_seconds = None;
    if let Some(attributes) = attrs.attributes() {
        for (name, value) in attributes {
            println!("{}: {}", name.as_str(), value);
        }
        visibility_timeout = attributes
            .get(&QueueAttributeName::VisibilityTimeout)
            .cloned();
        delay_seconds = attributes.get(&QueueAttributeName::DelaySeconds).cloned();
    }

    client
        .tag_queue()
        .queue_url(queue_url)
        .tags("env", "test")
        .tags("temporary", "yes")
        .send()
        .await?;
    client
        .untag_queue()
        .queue_url(queue_url)
        .tag_keys("temporary")
        .send()
        .await?;
    let listed_tags = client.list_queue_tags().queue_url(queue_url).send().await?;
    let mut tags: Vec<(String, String)> = listed_tags
        .tags()
        .map(|t| t.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
        .unwrap_or_default();
    tags.sort();

    let mut listed = Vec::new();
    let mut pages = client
        .list_queues()
        .queue_name_prefix("porting-")
        .max_results(1)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for url in page?.queue_urls() {
            listed.push(url.clone());
        }
    }
    Ok(Seen {
        visibility_timeout,
        delay_seconds,
        tags,
        listed,
    })
}
