//! The visibility heartbeat: messages being worked on are kept hidden.

use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinSet;
use tokio::time::Instant;

use super::shared::*;

pub(super) async fn heartbeat_loop(shared: Arc<Shared>, every: Duration, visibility: i32) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = until_stopped(&shared) => return,
        }
        if shared.stopping() {
            return;
        }
        let handles: Vec<String> = shared
            .in_flight
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .keys()
            .cloned()
            .collect();
        let mut extensions = JoinSet::new();
        for h in handles {
            let shared = Arc::clone(&shared);
            extensions.spawn(async move {
                let _ = shared
                    .batcher
                    .change_message_visibility(&shared.queue_url, shared.sqs_handle(&h), visibility)
                    .await;
                // Extended: the buffer's expiry clock starts again.
                if let Some(at) = shared
                    .in_flight
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .get_mut(&h)
                {
                    *at = Instant::now();
                }
            });
        }
        while extensions.join_next().await.is_some() {}
    }
}
