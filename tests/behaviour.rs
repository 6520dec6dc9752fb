//! One behavioural suite, run with our client against two servers: moto (an independent
//! implementation) and sqs-local (ours). Standard and FIFO queues, send/receive/delete,
//! attributes, visibility, batches with partial failure, dead-letter redrive, tags, purge, both
//! paginators. Where moto differs from AWS the case says so and is skipped for moto only. Loops
//! that wait for the server are bounded in count and time. What happens over time (long polls,
//! visibility expiry, FIFO groups in flight, move tasks) and error codes are in
//! `behaviour_over_time.rs`.

mod common;

use std::time::{Duration, Instant};

use futures_util::StreamExt;
use sqs_client::types::*;
use sqs_client::{ErrorCode, Protocol};

use common::behaviour::*;

async fn standard_queue_round_trip_in_both_protocols(server: &Server) {
    for protocol in [Protocol::AwsJson1_0, Protocol::AwsQuery] {
        let c = client(server, protocol);
        let url = common::queue(&c, &format!("std-{protocol:?}")).await;
        let sent = c
            .send_message()
            .queue_url(&url)
            .message_body("héllo & <world>\r\n")
            .message_attributes(
                "kind",
                MessageAttributeValue::builder()
                    .data_type("String")
                    .string_value("greeting")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "n",
                MessageAttributeValue::builder()
                    .data_type("Number.int")
                    .string_value("42")
                    .build()
                    .unwrap(),
            )
            .message_attributes(
                "raw",
                MessageAttributeValue::builder()
                    .data_type("Binary")
                    .binary_value(Blob::new(vec![0u8, 255, 7]))
                    .build()
                    .unwrap(),
            )
            .send()
            .await
            .unwrap();
        let messages = receive_all(&c, &url, 1).await;
        assert_eq!(messages.len(), 1, "{protocol:?}");
        let m = &messages[0];
        assert_eq!(m.message_id, sent.message_id);
        assert_eq!(
            m.body.as_deref(),
            Some("héllo & <world>\r\n"),
            "{protocol:?}"
        );
        let attrs = m.message_attributes.as_ref().unwrap();
        assert_eq!(attrs["n"].string_value.as_deref(), Some("42"));
        assert_eq!(
            attrs["raw"].binary_value.as_ref().unwrap().as_bytes(),
            &[0, 255, 7]
        );
        assert_eq!(
            m.attributes.as_ref().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
            "1"
        );
        common::delete(&c, &url, m).await;
        assert!(receive(&c, &url, None).await.is_empty());

        // Attributes, set and read back.
        c.set_queue_attributes()
            .queue_url(&url)
            .attributes(QueueAttributeName::VisibilityTimeout, "45")
            .send()
            .await
            .unwrap();
        let got = c
            .get_queue_attributes()
            .queue_url(&url)
            .attribute_names(QueueAttributeName::All)
            .send()
            .await
            .unwrap();
        assert_eq!(
            got.attributes.unwrap()[&QueueAttributeName::VisibilityTimeout],
            "45"
        );
        let looked_up = c
            .get_queue_url()
            .queue_name(format!("std-{protocol:?}"))
            .send()
            .await
            .unwrap();
        assert_eq!(looked_up.queue_url.as_deref(), Some(url.as_str()));

        let err = c
            .get_queue_url()
            .queue_name("no-such-queue")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::QueueDoesNotExist),
            "{protocol:?}: {err}"
        );
    }
}

async fn visibility_changes(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let url = common::queue(&c, "vis").await;
    common::send(&c, &url, "v").await;
    let first = receive_all(&c, &url, 1).await;
    assert_eq!(first.len(), 1);
    assert!(
        receive(&c, &url, None).await.is_empty(),
        "hidden while in flight"
    );
    c.change_message_visibility()
        .queue_url(&url)
        .receipt_handle(first[0].receipt_handle.clone().unwrap())
        .visibility_timeout(0)
        .send()
        .await
        .unwrap();
    let again = receive_all(&c, &url, 1).await;
    assert_eq!(again.len(), 1, "visible again after visibility 0");
    assert_eq!(
        again[0].attributes.as_ref().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount],
        "2"
    );
    assert_ne!(
        again[0].receipt_handle, first[0].receipt_handle,
        "a new receipt handle per receive"
    );
}

async fn batches_with_partial_failure(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let url = common::queue(&c, "batch").await;
    let entries: Vec<_> = (0..10)
        .map(|i| {
            SendMessageBatchRequestEntry::builder()
                .id(format!("e{i}"))
                .message_body(format!("body {i}"))
                .build()
                .unwrap()
        })
        .collect();
    let sent = c
        .send_message_batch()
        .queue_url(&url)
        .set_entries(Some(entries))
        .send()
        .await
        .unwrap();
    assert_eq!(sent.successful.len(), 10);
    let got = receive_all(&c, &url, 10).await;
    assert_eq!(got.len(), 10);
    let cmv = c
        .change_message_visibility_batch()
        .queue_url(&url)
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("good")
                .receipt_handle(got[0].receipt_handle.clone().unwrap())
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .entries(
            ChangeMessageVisibilityBatchRequestEntry::builder()
                .id("bad")
                .receipt_handle("bogus")
                .visibility_timeout(60)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(
        cmv.successful
            .iter()
            .map(|e| e.id.as_str())
            .collect::<Vec<_>>(),
        ["good"]
    );
    assert_eq!(
        (
            cmv.failed[0].id.as_str(),
            cmv.failed[0].sender_fault,
            cmv.failed[0].code.as_str()
        ),
        ("bad", true, "ReceiptHandleIsInvalid")
    );
    let deletes: Vec<_> = got
        .iter()
        .enumerate()
        .map(|(i, m)| {
            DeleteMessageBatchRequestEntry::builder()
                .id(format!("d{i}"))
                .receipt_handle(m.receipt_handle.clone().unwrap())
                .build()
                .unwrap()
        })
        .collect();
    let deleted = c
        .delete_message_batch()
        .queue_url(&url)
        .set_entries(Some(deletes))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.successful.len(), 10);
    let attrs = c
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .send()
        .await
        .unwrap();
    assert_eq!(
        attrs.attributes.unwrap()[&QueueAttributeName::ApproximateNumberOfMessages],
        "0"
    );
}

async fn fifo_order_and_deduplication(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let url = c
        .create_queue()
        .queue_name("orders.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for i in 0..5 {
        let out = c
            .send_message()
            .queue_url(&url)
            .message_body(format!("o{i}"))
            .message_group_id("g1")
            .message_deduplication_id(format!("d{i}"))
            .send()
            .await
            .unwrap();
        assert!(out.sequence_number.is_some());
    }
    // The same deduplication id again is dropped.
    c.send_message()
        .queue_url(&url)
        .message_body("o0 again")
        .message_group_id("g1")
        .message_deduplication_id("d0")
        .send()
        .await
        .unwrap();
    let mut bodies = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(10);
    while bodies.len() < 5 && Instant::now() < deadline {
        for m in receive(&c, &url, Some(60)).await {
            bodies.push(m.body.clone().unwrap());
            common::delete(&c, &url, &m).await;
        }
    }
    assert_eq!(bodies, ["o0", "o1", "o2", "o3", "o4"]);
    assert!(
        receive(&c, &url, None).await.is_empty(),
        "the duplicate was dropped"
    );

    let err = c
        .send_message()
        .queue_url(&url)
        .message_body("no group")
        .send()
        .await
        .unwrap_err();
    assert!(!err.is_retryable(), "{err}");
}

async fn dead_letter_redrive_and_source_listing(server: &Server) {
    let c = client(server, Protocol::AwsQuery);
    let dlq = common::queue(&c, "work-dlq").await;
    let dlq_arn = c
        .get_queue_attributes()
        .queue_url(&dlq)
        .attribute_names(QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&QueueAttributeName::QueueArn]
        .clone();
    let policy = format!(r#"{{"deadLetterTargetArn": "{dlq_arn}", "maxReceiveCount": "1"}}"#);
    let work = c
        .create_queue()
        .queue_name("work")
        .attributes(QueueAttributeName::RedrivePolicy, policy)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    common::send(&c, &work, "poison").await;
    // Received once and not deleted: past maxReceiveCount it moves to the dead-letter queue.
    assert_eq!(receive(&c, &work, Some(0)).await.len(), 1);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut dead = Vec::new();
    while dead.is_empty() && Instant::now() < deadline {
        let _ = receive(&c, &work, Some(0)).await;
        dead = receive(&c, &dlq, Some(60)).await;
    }
    assert_eq!(dead.len(), 1);
    assert_eq!(dead[0].body.as_deref(), Some("poison"));

    let sources: Vec<String> = c
        .list_dead_letter_source_queues()
        .queue_url(&dlq)
        .max_results(1)
        .into_items()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(sources, [work]);
}

async fn tags_purge_and_queue_listing(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let mut urls = Vec::new();
    for i in 0..5 {
        urls.push(common::queue(&c, &format!("page-{i}")).await);
    }
    common::queue(&c, "other").await;
    let listed: Vec<String> = c
        .list_queues()
        .queue_name_prefix("page-")
        .max_results(2)
        .into_items()
        .map(|r| r.unwrap())
        .collect()
        .await;
    let mut listed_sorted = listed.clone();
    listed_sorted.sort();
    assert_eq!(listed_sorted, urls, "five queues over three pages");
    let pages = c
        .list_queues()
        .queue_name_prefix("page-")
        .max_results(2)
        .into_pages()
        .count()
        .await;
    assert_eq!(pages, 3);

    let url = &urls[0];
    c.tag_queue()
        .queue_url(url)
        .tags("team", "core")
        .tags("env", "test")
        .send()
        .await
        .unwrap();
    c.untag_queue()
        .queue_url(url)
        .tag_keys("env")
        .send()
        .await
        .unwrap();
    let tags = c
        .list_queue_tags()
        .queue_url(url)
        .send()
        .await
        .unwrap()
        .tags
        .unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags["team"], "core");

    for i in 0..3 {
        common::send(&c, url, &format!("p{i}")).await;
    }
    c.purge_queue().queue_url(url).send().await.unwrap();
    assert!(receive(&c, url, None).await.is_empty());
    c.delete_queue().queue_url(url).send().await.unwrap();
    let err = c
        .get_queue_attributes()
        .queue_url(url)
        .send()
        .await
        .unwrap_err();
    assert_eq!(err.code(), Some(&ErrorCode::QueueDoesNotExist), "{err}");
}

on_both_servers!(
    standard_queue_round_trip_in_both_protocols,
    visibility_changes,
    batches_with_partial_failure,
    fifo_order_and_deduplication,
    dead_letter_redrive_and_source_listing,
    tags_purge_and_queue_listing,
);
