//! For the examples' tests: one queue served by a wiremock server through
//! `sqs_client::testing`, with just enough state for the examples (messages handed out once
//! until they are deleted or handed back), and every request kept for the test to read back as
//! a typed input.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use sqs_client::operation::change_message_visibility_batch::{
    ChangeMessageVisibilityBatchInput, ChangeMessageVisibilityBatchOutput,
};
use sqs_client::operation::create_queue::{CreateQueueInput, CreateQueueOutput};
use sqs_client::operation::delete_message_batch::{
    DeleteMessageBatchInput, DeleteMessageBatchOutput,
};
use sqs_client::operation::delete_queue::{DeleteQueueInput, DeleteQueueOutput};
use sqs_client::operation::receive_message::{ReceiveMessageInput, ReceiveMessageOutput};
use sqs_client::operation::send_message_batch::{SendMessageBatchInput, SendMessageBatchOutput};
use sqs_client::testing::wiremock::{Mock, MockServer};
use sqs_client::testing::{self, ServiceError};
use sqs_client::types::{
    ChangeMessageVisibilityBatchResultEntry, DeleteMessageBatchResultEntry, Message,
    MessageSystemAttributeName, SendMessageBatchResultEntry,
};
use sqs_client::{Client, ErrorCode};

/// The URL the mock gives its queue.
pub(crate) const QUEUE_URL: &str = "http://127.0.0.1:9/000000000000/example";

#[derive(Default)]
struct State {
    next_id: usize,
    visible: VecDeque<(Message, u32)>,
    /// Received and not yet deleted or handed back, by receipt handle.
    in_flight: HashMap<String, (Message, u32)>,
}

/// A wiremock server answering CreateQueue, SendMessageBatch, ReceiveMessage (at most ten visible
/// messages, at once), DeleteMessageBatch, ChangeMessageVisibilityBatch (a timeout of 0 makes
/// the message visible again) and DeleteQueue for one queue.
pub(crate) struct MockQueue {
    pub(crate) server: MockServer,
}

impl MockQueue {
    pub(crate) async fn start() -> Self {
        let server = MockServer::start().await;
        let state = Arc::new(Mutex::new(State::default()));
        let lock = move || Arc::clone(&state);

        mount::<CreateQueueInput>(
            &server,
            |_, _| Ok(CreateQueueOutput::builder().queue_url(QUEUE_URL).build()),
            lock(),
        )
        .await;
        mount::<DeleteQueueInput>(&server, |_, _| Ok(DeleteQueueOutput::default()), lock()).await;
        mount::<SendMessageBatchInput>(
            &server,
            |input, state| {
                let mut out = SendMessageBatchOutput::default();
                for entry in input.entries() {
                    state.next_id += 1;
                    let id = format!("m-{}", state.next_id);
                    let message = Message::builder()
                        .message_id(&id)
                        .body(entry.message_body())
                        .build();
                    state.visible.push_back((message, 0));
                    let mut ok = SendMessageBatchResultEntry::default();
                    ok.id = entry.id().to_owned();
                    ok.message_id = id;
                    out.successful.push(ok);
                }
                Ok(out)
            },
            lock(),
        )
        .await;
        mount::<ReceiveMessageInput>(
            &server,
            |input, state| {
                let max = input.max_number_of_messages().unwrap_or(1).clamp(1, 10);
                let mut messages = Vec::new();
                while messages.len() < max as usize {
                    let Some((mut message, count)) = state.visible.pop_front() else {
                        break;
                    };
                    let count = count + 1;
                    let handle = format!("{}-r{count}", message.message_id().unwrap_or_default());
                    message.receipt_handle = Some(handle.clone());
                    message.attributes = Some(HashMap::from([(
                        MessageSystemAttributeName::ApproximateReceiveCount,
                        count.to_string(),
                    )]));
                    state.in_flight.insert(handle, (message.clone(), count));
                    messages.push(message);
                }
                Ok(ReceiveMessageOutput::builder()
                    .set_messages(Some(messages))
                    .build())
            },
            lock(),
        )
        .await;
        mount::<DeleteMessageBatchInput>(
            &server,
            |input, state| {
                let mut out = DeleteMessageBatchOutput::default();
                for entry in input.entries() {
                    if state.in_flight.remove(entry.receipt_handle()).is_none() {
                        return Err(ServiceError::new(
                            ErrorCode::ReceiptHandleIsInvalid,
                            format!("unknown receipt handle {}", entry.receipt_handle()),
                        ));
                    }
                    let mut ok = DeleteMessageBatchResultEntry::default();
                    ok.id = entry.id().to_owned();
                    out.successful.push(ok);
                }
                Ok(out)
            },
            lock(),
        )
        .await;
        mount::<ChangeMessageVisibilityBatchInput>(
            &server,
            |input, state| {
                let mut out = ChangeMessageVisibilityBatchOutput::default();
                for entry in input.entries() {
                    if entry.visibility_timeout() == Some(0)
                        && let Some(back) = state.in_flight.remove(entry.receipt_handle())
                    {
                        state.visible.push_back(back);
                    }
                    let mut ok = ChangeMessageVisibilityBatchResultEntry::default();
                    ok.id = entry.id().to_owned();
                    out.successful.push(ok);
                }
                Ok(out)
            },
            lock(),
        )
        .await;
        Self { server }
    }

    /// A client of this server.
    pub(crate) fn client(&self) -> Client {
        testing::client_builder(&self.server)
            .build()
            .expect("a client of a local mock server")
    }

    /// The inputs of every request of the operation `I` received, in order.
    pub(crate) async fn received<I: sqs_client::testing::Served>(&self) -> Vec<I> {
        testing::received::<I>(&self.server)
            .await
            .expect("the mock records and reads every request")
    }
}

/// Answers the requests of `I` with `answer`, given the decoded input and the queue's state.
async fn mount<I: sqs_client::testing::Served>(
    server: &MockServer,
    answer: impl Fn(&I, &mut State) -> Result<I::Output, ServiceError> + Send + Sync + 'static,
    state: Arc<Mutex<State>>,
) {
    Mock::given(testing::operation::<I>())
        .respond_with(testing::reply_with(move |input: &I| {
            let mut state = state.lock().map_err(|_| ServiceError::internal())?;
            answer(input, &mut state)
        }))
        .mount(server)
        .await;
}
