//! The behavioural suite's cases about time and errors, against moto and sqs-local: long
//! polling, messages coming back after their visibility timeout, a FIFO group waiting while one
//! of its messages is in flight, message move tasks, and the error codes AWS gives. Loops that
//! wait for the server are bounded in count and time.

mod common;

use std::time::{Duration, Instant};

use sqs_client::types::*;
use sqs_client::{ErrorCode, Protocol};

use common::behaviour::*;

async fn long_poll_answers_as_soon_as_a_message_arrives(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let url = common::queue(&c, "long-poll").await;
    let (c2, url2) = (c.clone(), url.clone());
    let started = Instant::now();
    let waiting = tokio::spawn(async move {
        c2.receive_message()
            .queue_url(&url2)
            .wait_time_seconds(10)
            .send()
            .await
            .unwrap()
            .messages
            .unwrap_or_default()
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    common::send(&c, &url, "wake up").await;
    let got = waiting.await.unwrap();
    assert_eq!(got.len(), 1);
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "answered after {:?}, not when the message arrived",
        started.elapsed()
    );
}

async fn an_unacknowledged_message_comes_back_after_its_visibility_timeout(server: &Server) {
    let c = client(server, Protocol::AwsQuery);
    let url = common::queue(&c, "expiry").await;
    common::send(&c, &url, "again").await;
    let first = receive(&c, &url, Some(1)).await;
    assert_eq!(first.len(), 1);
    assert!(
        receive(&c, &url, Some(1)).await.is_empty(),
        "hidden for 1 s"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut again = Vec::new();
    while again.is_empty() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(200)).await;
        again = receive(&c, &url, Some(30)).await;
    }
    assert_eq!(again.len(), 1, "the message came back");
    assert_eq!(again[0].message_id, first[0].message_id);
    assert_ne!(again[0].receipt_handle, first[0].receipt_handle);
    // The first handle is stale now: changing its visibility is refused.
    if !server.skip_for_moto("moto accepts a stale receipt handle for ChangeMessageVisibility") {
        let err = c
            .change_message_visibility()
            .queue_url(&url)
            .receipt_handle(first[0].receipt_handle.clone().unwrap())
            .visibility_timeout(5)
            .send()
            .await
            .unwrap_err();
        assert!(err.code().is_some(), "{err}");
    }
}

async fn a_fifo_group_waits_while_one_of_its_messages_is_in_flight(server: &Server) {
    let c = client(server, Protocol::AwsJson1_0);
    let url = c
        .create_queue()
        .queue_name("groups.fifo")
        .attributes(QueueAttributeName::FifoQueue, "true")
        .attributes(QueueAttributeName::ContentBasedDeduplication, "true")
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for (body, group) in [("a1", "a"), ("a2", "a"), ("b1", "b")] {
        c.send_message()
            .queue_url(&url)
            .message_body(body)
            .message_group_id(group)
            .send()
            .await
            .unwrap();
    }
    let first = c
        .receive_message()
        .queue_url(&url)
        .max_number_of_messages(1)
        .visibility_timeout(60)
        .send()
        .await
        .unwrap()
        .messages
        .unwrap_or_default();
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].body.as_deref(), Some("a1"));
    let next: Vec<String> = receive(&c, &url, Some(60))
        .await
        .into_iter()
        .filter_map(|m| m.body)
        .collect();
    assert_eq!(next, ["b1"], "a2 waits while a1 is in flight");
}

async fn errors_carry_the_codes_aws_gives(server: &Server) {
    for protocol in [Protocol::AwsJson1_0, Protocol::AwsQuery] {
        let c = client(server, protocol);
        let url = common::queue(&c, &format!("errors-{protocol:?}")).await;
        let err = c
            .delete_message()
            .queue_url(&url)
            .receipt_handle("not-a-handle")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::ReceiptHandleIsInvalid),
            "{protocol:?}: {err}"
        );
        let err = c
            .send_message()
            .queue_url(format!("{}/000000000000/absent", server.url()))
            .message_body("x")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::QueueDoesNotExist),
            "{protocol:?}: {err}"
        );
        let err = c
            .create_queue()
            .queue_name(format!("errors-{protocol:?}"))
            .attributes(QueueAttributeName::VisibilityTimeout, "99")
            .send()
            .await
            .unwrap_err();
        assert_eq!(
            err.code(),
            Some(&ErrorCode::QueueNameExists),
            "{protocol:?}: {err}"
        );
        c.purge_queue().queue_url(&url).send().await.unwrap();
        let err = c.purge_queue().queue_url(&url).send().await.unwrap_err();
        assert_eq!(err.code(), Some(&ErrorCode::PurgeQueueInProgress), "{err}");
    }
}

async fn a_move_task_returns_dead_letters_to_their_queue(server: &Server) {
    if server.skip_for_moto("moto 5.2 answers StartMessageMoveTask with HTTP 500") {
        return;
    }
    let c = client(server, Protocol::AwsJson1_0);
    let dlq = common::queue(&c, "moves-dlq").await;
    let arn = |url: String| {
        let c = c.clone();
        async move {
            c.get_queue_attributes()
                .queue_url(url)
                .attribute_names(QueueAttributeName::QueueArn)
                .send()
                .await
                .unwrap()
                .attributes
                .unwrap()[&QueueAttributeName::QueueArn]
                .clone()
        }
    };
    let dlq_arn = arn(dlq.clone()).await;
    let work = c
        .create_queue()
        .queue_name("moves")
        .attributes(
            QueueAttributeName::RedrivePolicy,
            format!(r#"{{"deadLetterTargetArn":"{dlq_arn}","maxReceiveCount":1}}"#),
        )
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    for i in 0..3 {
        common::send(&c, &work, &format!("m{i}")).await;
    }
    assert_eq!(receive(&c, &work, Some(0)).await.len(), 3);
    assert!(receive(&c, &work, Some(0)).await.is_empty(), "all moved");
    let task = c
        .start_message_move_task()
        .source_arn(&dlq_arn)
        .send()
        .await
        .unwrap();
    assert!(task.task_handle.is_some());
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut status = String::new();
    while status != "COMPLETED" && Instant::now() < deadline {
        let tasks = c
            .list_message_move_tasks()
            .source_arn(&dlq_arn)
            .send()
            .await
            .unwrap()
            .results
            .unwrap_or_default();
        status = tasks[0].status.clone().unwrap_or_default();
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "COMPLETED");
    let back = receive_all(&c, &work, 3).await;
    let mut bodies: Vec<_> = back.into_iter().filter_map(|m| m.body).collect();
    bodies.sort();
    assert_eq!(bodies, ["m0", "m1", "m2"]);
}

on_both_servers!(
    long_poll_answers_as_soon_as_a_message_arrives,
    an_unacknowledged_message_comes_back_after_its_visibility_timeout,
    a_fifo_group_waits_while_one_of_its_messages_is_in_flight,
    errors_carry_the_codes_aws_gives,
    a_move_task_returns_dead_letters_to_their_queue,
);
