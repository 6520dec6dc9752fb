//! Contract tests against a wiremock server on 127.0.0.1: for each of the 23 operations, in both
//! protocols, the request on the wire (method, path, content type, X-Amz-Target or Action and
//! Version, body, a SigV4 Authorization header with the right scope and signed headers, the
//! session token header), and the decoding of a realistic answer. Expected bodies are written
//! out by hand from the protocol rules, not produced by the code under test.

use serde_json::{Value, json};
use sqs_client::operation::*;
use sqs_client::types::*;
use sqs_client::{Client, Credentials, Operation, Protocol};
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

const Q: &str = "http://127.0.0.1:9/123456789012/jobs";
const QE: &str = "http%3A%2F%2F127.0.0.1%3A9%2F123456789012%2Fjobs";

fn client(server: &MockServer, protocol: Protocol) -> Client {
    Client::builder()
        .endpoint_url(server.uri())
        .region("eu-west-1")
        .credentials_provider(
            Credentials::new("AKIDCONTRACT", "secret").with_session_token("session-token-1"),
        )
        .protocol(protocol)
        .build()
        .unwrap()
}

fn pairs(form: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(form).into_owned().collect()
}

fn header<'a>(r: &'a wiremock::Request, name: &str) -> &'a str {
    r.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_else(|| panic!("no {name} header"))
}

fn check_signature(r: &wiremock::Request, json: bool) {
    let auth = header(r, "authorization");
    let date = &header(r, "x-amz-date")[..8];
    let signed = if json {
        "content-type;host;x-amz-date;x-amz-security-token;x-amz-target"
    } else {
        "content-type;host;x-amz-date;x-amz-security-token"
    };
    let prefix = format!(
        "AWS4-HMAC-SHA256 Credential=AKIDCONTRACT/{date}/eu-west-1/sqs/aws4_request, SignedHeaders={signed}, Signature="
    );
    assert!(auth.starts_with(&prefix), "{auth}");
    let signature = &auth[prefix.len()..];
    assert!(
        signature.len() == 64 && signature.bytes().all(|b| b.is_ascii_hexdigit()),
        "{signature}"
    );
    assert_eq!(header(r, "x-amz-security-token"), "session-token-1");
}

/// Runs `input` against a server answering `json_answer` / `xml_answer`, checks the request
/// against `json_body` / `form_body` and hands each decoded output to `check`.
async fn contract<O: Operation>(
    input: O,
    json_body: Value,
    form_body: &str,
    json_answer: &str,
    xml_answer: &str,
    check: impl Fn(&O::Output),
) {
    for protocol in [Protocol::AwsJson1_0, Protocol::AwsQuery] {
        let server = MockServer::start().await;
        let (answer, mime) = match protocol {
            Protocol::AwsQuery => (xml_answer, "text/xml"),
            _ => (json_answer, "application/x-amz-json-1.0"),
        };
        Mock::given(method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_raw(answer, mime)
                    .insert_header("x-amzn-requestid", "req-1"),
            )
            .expect(1)
            .mount(&server)
            .await;
        let output = client(&server, protocol)
            .execute(input.clone())
            .await
            .unwrap_or_else(|e| panic!("{} over {protocol:?}: {e}", O::NAME));
        check(&output);
        let requests = server.received_requests().await.unwrap();
        let r = &requests[0];
        assert_eq!(r.method.as_str(), "POST");
        assert_eq!(r.url.path(), "/");
        match protocol {
            Protocol::AwsQuery => {
                assert_eq!(
                    header(r, "content-type"),
                    "application/x-www-form-urlencoded; charset=utf-8"
                );
                assert!(r.headers.get("x-amz-target").is_none());
                let expected = format!("Action={}&Version=2012-11-05{form_body}", O::NAME);
                assert_eq!(
                    pairs(&r.body),
                    pairs(expected.as_bytes()),
                    "{} form body",
                    O::NAME
                );
                check_signature(r, false);
            }
            _ => {
                assert_eq!(header(r, "content-type"), "application/x-amz-json-1.0");
                assert_eq!(header(r, "x-amz-target"), format!("AmazonSQS.{}", O::NAME));
                assert_eq!(header(r, "x-amzn-query-mode"), "true");
                let body: Value = serde_json::from_slice(&r.body).unwrap();
                assert_eq!(body, json_body, "{} JSON body", O::NAME);
                check_signature(r, true);
            }
        }
    }
}

fn xml(op: &str, result: &str) -> String {
    let result = if result.is_empty() {
        String::new()
    } else {
        format!("<{op}Result>{result}</{op}Result>")
    };
    format!(
        r#"<{op}Response xmlns="http://queue.amazonaws.com/doc/2012-11-05/">{result}<ResponseMetadata><RequestId>req-1</RequestId></ResponseMetadata></{op}Response>"#
    )
}

#[tokio::test]
async fn add_permission() {
    contract(
        AddPermissionInput::builder().queue_url(Q).label("grant1").aws_account_ids("111122223333").actions("SendMessage").actions("ReceiveMessage").build().unwrap(),
        json!({"QueueUrl": Q, "Label": "grant1", "AWSAccountIds": ["111122223333"], "Actions": ["SendMessage", "ReceiveMessage"]}),
        &format!("&QueueUrl={QE}&Label=grant1&AWSAccountId.1=111122223333&ActionName.1=SendMessage&ActionName.2=ReceiveMessage"),
        "{}",
        &xml("AddPermission", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn cancel_message_move_task() {
    contract(
        CancelMessageMoveTaskInput::builder()
            .task_handle("th-1")
            .build()
            .unwrap(),
        json!({"TaskHandle": "th-1"}),
        "&TaskHandle=th-1",
        r#"{"ApproximateNumberOfMessagesMoved": 42}"#,
        &xml(
            "CancelMessageMoveTask",
            "<ApproximateNumberOfMessagesMoved>42</ApproximateNumberOfMessagesMoved>",
        ),
        |o| assert_eq!(o.approximate_number_of_messages_moved, 42),
    )
    .await;
}

#[tokio::test]
async fn change_message_visibility() {
    contract(
        ChangeMessageVisibilityInput::builder()
            .queue_url(Q)
            .receipt_handle("rh")
            .visibility_timeout(0)
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "ReceiptHandle": "rh", "VisibilityTimeout": 0}),
        &format!("&QueueUrl={QE}&ReceiptHandle=rh&VisibilityTimeout=0"),
        "{}",
        &xml("ChangeMessageVisibility", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn change_message_visibility_batch() {
    contract(
        ChangeMessageVisibilityBatchInput::builder()
            .queue_url(Q)
            .entries(ChangeMessageVisibilityBatchRequestEntry::builder().id("a").receipt_handle("rh1").visibility_timeout(30).build().unwrap())
            .entries(ChangeMessageVisibilityBatchRequestEntry::builder().id("b").receipt_handle("rh2").build().unwrap()).build().unwrap(),
        json!({"QueueUrl": Q, "Entries": [{"Id": "a", "ReceiptHandle": "rh1", "VisibilityTimeout": 30}, {"Id": "b", "ReceiptHandle": "rh2"}]}),
        &format!("&QueueUrl={QE}&ChangeMessageVisibilityBatchRequestEntry.1.Id=a&ChangeMessageVisibilityBatchRequestEntry.1.ReceiptHandle=rh1&ChangeMessageVisibilityBatchRequestEntry.1.VisibilityTimeout=30&ChangeMessageVisibilityBatchRequestEntry.2.Id=b&ChangeMessageVisibilityBatchRequestEntry.2.ReceiptHandle=rh2"),
        r#"{"Successful": [{"Id": "a"}], "Failed": [{"Id": "b", "SenderFault": true, "Code": "ReceiptHandleIsInvalid", "Message": "bad"}]}"#,
        &xml("ChangeMessageVisibilityBatch", "<ChangeMessageVisibilityBatchResultEntry><Id>a</Id></ChangeMessageVisibilityBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>true</SenderFault><Code>ReceiptHandleIsInvalid</Code><Message>bad</Message></BatchResultErrorEntry>"),
        |o| {
            assert_eq!(o.successful[0].id, "a");
            assert_eq!((o.failed[0].id.as_str(), o.failed[0].sender_fault, o.failed[0].code.as_str()), ("b", true, "ReceiptHandleIsInvalid"));
        },
    )
    .await;
}

#[tokio::test]
async fn create_queue() {
    contract(
        CreateQueueInput::builder().queue_name("jobs.fifo").attributes(QueueAttributeName::FifoQueue, "true").tags("team", "core").build().unwrap(),
        json!({"QueueName": "jobs.fifo", "Attributes": {"FifoQueue": "true"}, "tags": {"team": "core"}}),
        "&QueueName=jobs.fifo&Attribute.1.Name=FifoQueue&Attribute.1.Value=true&Tag.1.Key=team&Tag.1.Value=core",
        r#"{"QueueUrl": "http://127.0.0.1:9/123456789012/jobs.fifo"}"#,
        &xml("CreateQueue", "<QueueUrl>http://127.0.0.1:9/123456789012/jobs.fifo</QueueUrl>"),
        |o| assert_eq!(o.queue_url.as_deref(), Some("http://127.0.0.1:9/123456789012/jobs.fifo")),
    )
    .await;
}

#[tokio::test]
async fn delete_message() {
    contract(
        DeleteMessageInput::builder()
            .queue_url(Q)
            .receipt_handle("AQEB+/==")
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "ReceiptHandle": "AQEB+/=="}),
        &format!("&QueueUrl={QE}&ReceiptHandle=AQEB%2B%2F%3D%3D"),
        "{}",
        &xml("DeleteMessage", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn delete_message_batch() {
    contract(
        DeleteMessageBatchInput::builder().queue_url(Q).entries(DeleteMessageBatchRequestEntry::builder().id("a").receipt_handle("rh1").build().unwrap()).build().unwrap(),
        json!({"QueueUrl": Q, "Entries": [{"Id": "a", "ReceiptHandle": "rh1"}]}),
        &format!("&QueueUrl={QE}&DeleteMessageBatchRequestEntry.1.Id=a&DeleteMessageBatchRequestEntry.1.ReceiptHandle=rh1"),
        r#"{"Successful": [{"Id": "a"}]}"#,
        &xml("DeleteMessageBatch", "<DeleteMessageBatchResultEntry><Id>a</Id></DeleteMessageBatchResultEntry>"),
        |o| {
            assert_eq!(o.successful[0].id, "a");
            assert!(o.failed.is_empty());
        },
    )
    .await;
}

#[tokio::test]
async fn delete_queue() {
    contract(
        DeleteQueueInput::builder().queue_url(Q).build().unwrap(),
        json!({"QueueUrl": Q}),
        &format!("&QueueUrl={QE}"),
        "{}",
        &xml("DeleteQueue", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn get_queue_attributes() {
    contract(
        GetQueueAttributesInput::builder().queue_url(Q).attribute_names(QueueAttributeName::All).build().unwrap(),
        json!({"QueueUrl": Q, "AttributeNames": ["All"]}),
        &format!("&QueueUrl={QE}&AttributeName.1=All"),
        r#"{"Attributes": {"VisibilityTimeout": "30", "DelaySeconds": "0", "SomethingNew": "x"}}"#,
        &xml("GetQueueAttributes", "<Attribute><Name>VisibilityTimeout</Name><Value>30</Value></Attribute><Attribute><Name>DelaySeconds</Name><Value>0</Value></Attribute><Attribute><Name>SomethingNew</Name><Value>x</Value></Attribute>"),
        |o| {
            let a = o.attributes.as_ref().unwrap();
            assert_eq!(a[&QueueAttributeName::VisibilityTimeout], "30");
            assert_eq!(a[&QueueAttributeName::Unknown("SomethingNew".into())], "x");
        },
    )
    .await;
}

#[tokio::test]
async fn get_queue_url() {
    contract(
        GetQueueUrlInput::builder()
            .queue_name("jobs")
            .queue_owner_aws_account_id("123456789012")
            .build()
            .unwrap(),
        json!({"QueueName": "jobs", "QueueOwnerAWSAccountId": "123456789012"}),
        "&QueueName=jobs&QueueOwnerAWSAccountId=123456789012",
        &format!(r#"{{"QueueUrl": "{Q}"}}"#),
        &xml("GetQueueUrl", &format!("<QueueUrl>{Q}</QueueUrl>")),
        |o| assert_eq!(o.queue_url.as_deref(), Some(Q)),
    )
    .await;
}

#[tokio::test]
async fn list_dead_letter_source_queues() {
    contract(
        ListDeadLetterSourceQueuesInput::builder()
            .queue_url(Q)
            .max_results(10)
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "MaxResults": 10}),
        &format!("&QueueUrl={QE}&MaxResults=10"),
        &format!(r#"{{"queueUrls": ["{Q}-src"], "NextToken": "t2"}}"#),
        &xml(
            "ListDeadLetterSourceQueues",
            &format!("<QueueUrl>{Q}-src</QueueUrl><NextToken>t2</NextToken>"),
        ),
        |o| {
            assert_eq!(o.queue_urls, vec![format!("{Q}-src")]);
            assert_eq!(o.next_token.as_deref(), Some("t2"));
        },
    )
    .await;
}

#[tokio::test]
async fn list_message_move_tasks() {
    let arn = "arn:aws:sqs:eu-west-1:123456789012:jobs-dlq";
    contract(
        ListMessageMoveTasksInput::builder().source_arn(arn).max_results(5).build().unwrap(),
        json!({"SourceArn": arn, "MaxResults": 5}),
        "&SourceArn=arn%3Aaws%3Asqs%3Aeu-west-1%3A123456789012%3Ajobs-dlq&MaxResults=5",
        &format!(r#"{{"Results": [{{"TaskHandle": "th", "Status": "RUNNING", "SourceArn": "{arn}", "ApproximateNumberOfMessagesMoved": 3, "ApproximateNumberOfMessagesToMove": 10, "StartedTimestamp": 1700000000000}}]}}"#),
        &xml("ListMessageMoveTasks", &format!("<ListMessageMoveTasksResultEntry><TaskHandle>th</TaskHandle><Status>RUNNING</Status><SourceArn>{arn}</SourceArn><ApproximateNumberOfMessagesMoved>3</ApproximateNumberOfMessagesMoved><ApproximateNumberOfMessagesToMove>10</ApproximateNumberOfMessagesToMove><StartedTimestamp>1700000000000</StartedTimestamp></ListMessageMoveTasksResultEntry>")),
        |o| {
            let t = &o.results.as_ref().unwrap()[0];
            assert_eq!(t.status.as_deref(), Some("RUNNING"));
            assert_eq!((t.approximate_number_of_messages_moved, t.approximate_number_of_messages_to_move), (3, Some(10)));
            assert_eq!(t.started_timestamp, 1_700_000_000_000);
        },
    )
    .await;
}

#[tokio::test]
async fn list_queue_tags() {
    contract(
        ListQueueTagsInput::builder().queue_url(Q).build().unwrap(),
        json!({"QueueUrl": Q}),
        &format!("&QueueUrl={QE}"),
        r#"{"Tags": {"team": "core"}}"#,
        &xml(
            "ListQueueTags",
            "<Tag><Key>team</Key><Value>core</Value></Tag>",
        ),
        |o| assert_eq!(o.tags.as_ref().unwrap()["team"], "core"),
    )
    .await;
}

#[tokio::test]
async fn list_queues() {
    contract(
        ListQueuesInput::builder()
            .queue_name_prefix("jo")
            .max_results(2)
            .build(),
        json!({"QueueNamePrefix": "jo", "MaxResults": 2}),
        "&QueueNamePrefix=jo&MaxResults=2",
        &format!(r#"{{"QueueUrls": ["{Q}", "{Q}2"], "NextToken": "n"}}"#),
        &xml(
            "ListQueues",
            &format!("<QueueUrl>{Q}</QueueUrl><QueueUrl>{Q}2</QueueUrl><NextToken>n</NextToken>"),
        ),
        |o| {
            assert_eq!(o.queue_urls.as_ref().unwrap().len(), 2);
            assert_eq!(o.next_token.as_deref(), Some("n"));
        },
    )
    .await;
}

#[tokio::test]
async fn purge_queue() {
    contract(
        PurgeQueueInput::builder().queue_url(Q).build().unwrap(),
        json!({"QueueUrl": Q}),
        &format!("&QueueUrl={QE}"),
        "{}",
        &xml("PurgeQueue", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn receive_message() {
    contract(
        ReceiveMessageInput::builder()
            .queue_url(Q)
            .message_system_attribute_names(MessageSystemAttributeName::All)
            .message_attribute_names("All")
            .max_number_of_messages(10)
            .visibility_timeout(30)
            .wait_time_seconds(0)
            .receive_request_attempt_id("try-1").build().unwrap(),
        json!({"QueueUrl": Q, "MessageSystemAttributeNames": ["All"], "MessageAttributeNames": ["All"], "MaxNumberOfMessages": 10, "VisibilityTimeout": 30, "WaitTimeSeconds": 0, "ReceiveRequestAttemptId": "try-1"}),
        &format!("&QueueUrl={QE}&AttributeName.1=All&MessageAttributeName.1=All&MaxNumberOfMessages=10&VisibilityTimeout=30&WaitTimeSeconds=0&ReceiveRequestAttemptId=try-1"),
        r#"{"Messages": [{"MessageId": "m1", "ReceiptHandle": "rh1", "MD5OfBody": "3eeebf6b04a9821afe3b68830b7038f9", "Body": "hello wire", "Attributes": {"ApproximateReceiveCount": "2"}, "MD5OfMessageAttributes": "8a571d1c4ce3c1b73fb70f737796d1c8", "MessageAttributes": {"attr1": {"StringValue": "v1", "DataType": "String"}, "bin": {"BinaryValue": "AAEC", "DataType": "Binary"}}}]}"#,
        &xml("ReceiveMessage", "<Message><MessageId>m1</MessageId><ReceiptHandle>rh1</ReceiptHandle><MD5OfBody>3eeebf6b04a9821afe3b68830b7038f9</MD5OfBody><Body>hello wire</Body><Attribute><Name>ApproximateReceiveCount</Name><Value>2</Value></Attribute><MD5OfMessageAttributes>8a571d1c4ce3c1b73fb70f737796d1c8</MD5OfMessageAttributes><MessageAttribute><Name>attr1</Name><Value><StringValue>v1</StringValue><DataType>String</DataType></Value></MessageAttribute><MessageAttribute><Name>bin</Name><Value><BinaryValue>AAEC</BinaryValue><DataType>Binary</DataType></Value></MessageAttribute></Message>"),
        |o| {
            let m = &o.messages.as_ref().unwrap()[0];
            assert_eq!(m.body.as_deref(), Some("hello wire"));
            assert_eq!(m.attributes.as_ref().unwrap()[&MessageSystemAttributeName::ApproximateReceiveCount], "2");
            assert_eq!(m.message_attributes.as_ref().unwrap()["bin"].binary_value.as_ref().unwrap().as_bytes(), &[0, 1, 2]);
        },
    )
    .await;
}

#[tokio::test]
async fn remove_permission() {
    contract(
        RemovePermissionInput::builder()
            .queue_url(Q)
            .label("grant1")
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "Label": "grant1"}),
        &format!("&QueueUrl={QE}&Label=grant1"),
        "{}",
        &xml("RemovePermission", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn send_message() {
    contract(
        SendMessageInput::builder()
            .queue_url(Q)
            .message_body("hello wire")
            .delay_seconds(5)
            .message_attributes("attr1", MessageAttributeValue::builder().data_type("String").string_value("v1").build().unwrap())
            .message_attributes("bin", MessageAttributeValue::builder().data_type("Binary").binary_value(Blob::new(vec![0u8, 1, 2])).build().unwrap()).build().unwrap(),
        json!({"QueueUrl": Q, "MessageBody": "hello wire", "DelaySeconds": 5, "MessageAttributes": {"attr1": {"DataType": "String", "StringValue": "v1"}, "bin": {"DataType": "Binary", "BinaryValue": "AAEC"}}}),
        &format!("&QueueUrl={QE}&MessageBody=hello+wire&DelaySeconds=5&MessageAttribute.1.Name=attr1&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=v1&MessageAttribute.2.Name=bin&MessageAttribute.2.Value.DataType=Binary&MessageAttribute.2.Value.BinaryValue=AAEC"),
        r#"{"MD5OfMessageBody": "3eeebf6b04a9821afe3b68830b7038f9", "MD5OfMessageAttributes": "8a571d1c4ce3c1b73fb70f737796d1c8", "MessageId": "m1"}"#,
        &xml("SendMessage", "<MD5OfMessageBody>3eeebf6b04a9821afe3b68830b7038f9</MD5OfMessageBody><MD5OfMessageAttributes>8a571d1c4ce3c1b73fb70f737796d1c8</MD5OfMessageAttributes><MessageId>m1</MessageId>"),
        |o| assert_eq!(o.message_id.as_deref(), Some("m1")),
    )
    .await;
}

#[tokio::test]
async fn send_message_batch() {
    contract(
        SendMessageBatchInput::builder()
            .queue_url(Q)
            .entries(SendMessageBatchRequestEntry::builder().id("a").message_body("one").message_group_id("g").message_deduplication_id("d1").build().unwrap())
            .entries(SendMessageBatchRequestEntry::builder().id("b").message_body("two").message_group_id("g").message_deduplication_id("d2").build().unwrap()).build().unwrap(),
        json!({"QueueUrl": Q, "Entries": [
            {"Id": "a", "MessageBody": "one", "MessageGroupId": "g", "MessageDeduplicationId": "d1"},
            {"Id": "b", "MessageBody": "two", "MessageGroupId": "g", "MessageDeduplicationId": "d2"}]}),
        &format!("&QueueUrl={QE}&SendMessageBatchRequestEntry.1.Id=a&SendMessageBatchRequestEntry.1.MessageBody=one&SendMessageBatchRequestEntry.1.MessageDeduplicationId=d1&SendMessageBatchRequestEntry.1.MessageGroupId=g&SendMessageBatchRequestEntry.2.Id=b&SendMessageBatchRequestEntry.2.MessageBody=two&SendMessageBatchRequestEntry.2.MessageDeduplicationId=d2&SendMessageBatchRequestEntry.2.MessageGroupId=g"),
        r#"{"Successful": [{"Id": "a", "MessageId": "m1", "MD5OfMessageBody": "f97c5d29941bfb1b2fdab0874906ab82", "SequenceNumber": "1"}], "Failed": [{"Id": "b", "SenderFault": false, "Code": "InternalError"}]}"#,
        &xml("SendMessageBatch", "<SendMessageBatchResultEntry><Id>a</Id><MessageId>m1</MessageId><MD5OfMessageBody>f97c5d29941bfb1b2fdab0874906ab82</MD5OfMessageBody><SequenceNumber>1</SequenceNumber></SendMessageBatchResultEntry><BatchResultErrorEntry><Id>b</Id><SenderFault>false</SenderFault><Code>InternalError</Code></BatchResultErrorEntry>"),
        |o| {
            assert_eq!(o.successful[0].sequence_number.as_deref(), Some("1"));
            assert_eq!((o.failed[0].id.as_str(), o.failed[0].sender_fault), ("b", false));
        },
    )
    .await;
}

#[tokio::test]
async fn set_queue_attributes() {
    contract(
        SetQueueAttributesInput::builder()
            .queue_url(Q)
            .attributes(QueueAttributeName::VisibilityTimeout, "60")
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "Attributes": {"VisibilityTimeout": "60"}}),
        &format!("&QueueUrl={QE}&Attribute.1.Name=VisibilityTimeout&Attribute.1.Value=60"),
        "{}",
        &xml("SetQueueAttributes", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn start_message_move_task() {
    contract(
        StartMessageMoveTaskInput::builder().source_arn("arn:aws:sqs:eu-west-1:1:dlq").destination_arn("arn:aws:sqs:eu-west-1:1:jobs").max_number_of_messages_per_second(50).build().unwrap(),
        json!({"SourceArn": "arn:aws:sqs:eu-west-1:1:dlq", "DestinationArn": "arn:aws:sqs:eu-west-1:1:jobs", "MaxNumberOfMessagesPerSecond": 50}),
        "&SourceArn=arn%3Aaws%3Asqs%3Aeu-west-1%3A1%3Adlq&DestinationArn=arn%3Aaws%3Asqs%3Aeu-west-1%3A1%3Ajobs&MaxNumberOfMessagesPerSecond=50",
        r#"{"TaskHandle": "th-9"}"#,
        &xml("StartMessageMoveTask", "<TaskHandle>th-9</TaskHandle>"),
        |o| assert_eq!(o.task_handle.as_deref(), Some("th-9")),
    )
    .await;
}

#[tokio::test]
async fn tag_queue() {
    contract(
        TagQueueInput::builder()
            .queue_url(Q)
            .tags("env", "prod")
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "Tags": {"env": "prod"}}),
        &format!("&QueueUrl={QE}&Tag.1.Key=env&Tag.1.Value=prod"),
        "{}",
        &xml("TagQueue", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn untag_queue() {
    contract(
        UntagQueueInput::builder()
            .queue_url(Q)
            .tag_keys("env")
            .build()
            .unwrap(),
        json!({"QueueUrl": Q, "TagKeys": ["env"]}),
        &format!("&QueueUrl={QE}&TagKey.1=env"),
        "{}",
        &xml("UntagQueue", ""),
        |_| {},
    )
    .await;
}

#[tokio::test]
async fn fluent_builders_and_paginators() {
    use futures_util::StreamExt;
    let server = MockServer::start().await;
    // Page 1 answers with a token, page 2 without.
    Mock::given(method("POST"))
        .and(wiremock::matchers::body_string_contains(
            "\"NextToken\":\"p2\"",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"QueueUrls": ["{Q}3"]}}"#),
            "application/x-amz-json-1.0",
        ))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(
            format!(r#"{{"QueueUrls": ["{Q}1", "{Q}2"], "NextToken": "p2"}}"#),
            "application/x-amz-json-1.0",
        ))
        .mount(&server)
        .await;
    let client = client(&server, Protocol::AwsJson1_0);
    let urls: Vec<String> = client
        .list_queues()
        .max_results(2)
        .into_items()
        .map(|r| r.unwrap())
        .collect()
        .await;
    assert_eq!(urls, [format!("{Q}1"), format!("{Q}2"), format!("{Q}3")]);
    let pages: Vec<_> = client
        .list_queues()
        .max_results(2)
        .into_pages()
        .collect()
        .await;
    assert_eq!(pages.len(), 2);

    // A whole input struct goes through the same path.
    let out = client
        .list_queues()
        .set_input(ListQueuesInput::builder().queue_name_prefix("x").build())
        .send()
        .await
        .unwrap();
    assert_eq!(out.queue_urls.unwrap().len(), 2);
    let requests = server.received_requests().await.unwrap();
    let last: Value = serde_json::from_slice(&requests.last().unwrap().body).unwrap();
    assert_eq!(last, json!({"QueueNamePrefix": "x"}));
}

#[tokio::test]
async fn requests_go_to_the_queue_url_host_when_asked() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_raw("{}", "application/x-amz-json-1.0"))
        .expect(1)
        .mount(&server)
        .await;
    let queue = format!("{}/123456789012/jobs", server.uri());
    let client = Client::builder()
        .endpoint_url("http://127.0.0.1:1")
        .region("eu-west-1")
        .credentials_provider(Credentials::new("AKID", "secret"))
        .use_queue_url_host(true)
        .build()
        .unwrap();
    client
        .delete_message()
        .queue_url(&queue)
        .receipt_handle("rh")
        .send()
        .await
        .unwrap();
}

/// Every operation of the description has a contract test here, named after it in snake case.
#[test]
fn every_operation_has_a_contract_test() {
    for name in sqs_model::OPERATION_NAMES {
        let mut test = String::from("async fn ");
        for (i, c) in name.char_indices() {
            test.extend((c.is_ascii_uppercase() && i > 0).then_some('_'));
            test.push(c.to_ascii_lowercase());
        }
        assert!(
            include_str!("contract.rs").contains(&(test + "()")),
            "{name}"
        );
    }
}
