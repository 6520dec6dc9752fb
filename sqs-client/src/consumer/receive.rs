//! The receive loop: long polls on demand, each message checked and handed to the stream.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::error::Error;
use crate::types::MessageSystemAttributeName;

use super::delivery::*;
use super::options::*;
use super::shared::*;

pub(super) async fn receive_loop(
    shared: Arc<Shared>,
    options: ConsumerBuilder,
    tx: mpsc::Sender<Result<Delivery, Error>>,
) {
    let mut failures = 0u32;
    let system = vec![MessageSystemAttributeName::All];
    while !shared.stopping() {
        // Receive only as many as there is room for (prefetch on demand).
        let room = tx.capacity();
        if room == 0 {
            tokio::select! {
                permit = tx.reserve() => match permit {
                    Ok(p) => drop(p),
                    Err(_) => return,
                },
                _ = until_stopped(&shared) => return,
            }
            continue;
        }
        let n = (room as i32).min(options.max_messages);
        let mut request = shared
            .client
            .receive_message()
            .queue_url(&shared.queue_url)
            .max_number_of_messages(n)
            .wait_time_seconds(options.wait_time)
            .set_message_attribute_names(Some(options.attribute_names.clone()))
            .set_message_system_attribute_names(Some(system.clone()));
        if let Some(v) = shared.visibility {
            request = request.visibility_timeout(v);
        }
        let mut input = request.input;
        if let Some(hook) = &shared.hook {
            hook.prepare(&mut input);
        }
        let sent_at = Instant::now();
        // Digests are checked per message, so that one damaged message does not cost the
        // others of its receive. A shutdown does not cut the receive short: the service may
        // already have handed it messages, hidden for their visibility timeout if dropped here.
        let result = shared.client.receive_each_ref(&input).await;
        match result {
            Ok(messages) => {
                failures = 0;
                for message in messages {
                    if shared.stopping() {
                        // Given back at once, unresolved and unchecked.
                        let m = match message {
                            Ok(m) => m,
                            Err(damaged) => *damaged.message,
                        };
                        if let Some(handle) = m.receipt_handle {
                            shared.release(handle);
                        }
                        continue;
                    }
                    let message = match message {
                        Ok(m) => m,
                        // Not delivered and not given back at once: it reappears after its
                        // visibility timeout.
                        Err(damaged) => {
                            if tx.send(Err(damaged.error)).await.is_err() {
                                return;
                            }
                            continue;
                        }
                    };
                    let message = match &shared.hook {
                        None => message,
                        Some(hook) => match hook.resolve(&shared.queue_url, message).await {
                            None => continue,
                            Some(Ok(m)) => m,
                            Some(Err(why)) => {
                                let _ = tx.send(Err(Error::payload(why))).await;
                                continue;
                            }
                        },
                    };
                    let Some(handle) = message.receipt_handle.clone() else {
                        continue;
                    };
                    shared
                        .in_flight
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .insert(handle.clone(), sent_at);
                    let d = Delivery {
                        message,
                        handle,
                        shared: Arc::clone(&shared),
                        settled: false,
                    };
                    if let Err(mpsc::error::SendError(Ok(mut d))) = tx.send(Ok(d)).await {
                        // Nobody is listening any more: give the message back.
                        d.settled = true;
                        shared.release(std::mem::take(&mut d.handle));
                    }
                }
            }
            Err(e) => {
                let fatal = !e.is_retryable();
                failures += 1;
                let _ = tx.send(Err(e)).await;
                if fatal && failures >= 3 {
                    // The queue is gone or forbidden: stop rather than spin.
                    shared.stop.store(true, Ordering::SeqCst);
                    shared.stopped.notify_waiters();
                    return;
                }
                let pause = Duration::from_millis(200 * u64::from(failures.min(25)));
                tokio::select! {
                    _ = tokio::time::sleep(pause) => {}
                    _ = until_stopped(&shared) => return,
                }
            }
        }
    }
}
