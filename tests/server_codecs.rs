//! The service side of the models (feature `server`), checked against what real servers and
//! clients put on the wire (tests/fixtures/wire): each captured request reads back into the same
//! input from either protocol, and each captured response, once decoded, is written again in
//! both protocols so that it decodes to the same output and (for JSON) the same document.

use serde_json::Value;
use sqs_client::Operation;
use sqs_client::operation::*;
use sqs_client::types::MessageAttributeValue;
use sqs_model::server::{Form, RequestError, Served};

fn fixture(name: &str) -> Vec<u8> {
    let path = format!("{}/tests/fixtures/wire/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The captured JSON and Query requests of one operation read into equal inputs, and our own
/// encodings of that input read back to it.
///
/// In AWS Query two members may share a parameter name (ReceiveMessage's deprecated
/// `AttributeNames` and `MessageSystemAttributeNames` are both `AttributeName.N`); `merge` makes
/// an input read from a form comparable by folding such members together.
fn same_request<O: Served + PartialEq>(name: &str, merge: impl Fn(O) -> O) -> O {
    let from_json = O::from_json(&fixture(&format!("json-{name}.request.json"))).unwrap();
    let from_form =
        O::from_form(&Form::parse(&fixture(&format!("query-{name}.request.form"))).unwrap());
    // The two captures were made with different values here and there; each must at least read
    // back from our own encodings.
    let from_form = from_form.unwrap();
    for input in [&from_json, &from_form] {
        assert_eq!(
            &O::from_json(&input.to_json().unwrap()).unwrap(),
            input,
            "{name} JSON"
        );
        assert_eq!(
            &merge(O::from_form(&Form::parse(input.to_query().as_bytes()).unwrap()).unwrap()),
            &merge(input.clone()),
            "{name} Query"
        );
    }
    from_form
}

/// A captured response decodes; written again by us in either protocol it decodes the same;
/// a captured JSON document is written back as the same JSON value.
fn same_response<O: Served>(name: &str)
where
    O::Output: PartialEq,
{
    let mut seen = 0;
    if let Ok(xml) = std::fs::read(format!(
        "{}/tests/fixtures/wire/query-{name}.response.xml",
        env!("CARGO_MANIFEST_DIR")
    )) {
        seen += 1;
        let out = O::output_from_xml(&xml).unwrap();
        let ours = O::output_to_xml(&out, "req-1");
        assert!(ours.contains("<RequestId>req-1</RequestId>"), "{ours}");
        assert_eq!(
            O::output_from_xml(ours.as_bytes()).unwrap(),
            out,
            "{name}: {ours}"
        );
        assert_eq!(O::output_from_json(&O::output_to_json(&out)).unwrap(), out);
    }
    if let Ok(json) = std::fs::read(format!(
        "{}/tests/fixtures/wire/json-{name}.response.json",
        env!("CARGO_MANIFEST_DIR")
    )) {
        seen += 1;
        let out = O::output_from_json(&json).unwrap();
        let captured: Value = serde_json::from_slice(&json).unwrap();
        let ours: Value = serde_json::from_slice(&O::output_to_json(&out)).unwrap();
        assert_eq!(ours, captured, "{name} JSON response");
        let xml = O::output_to_xml(&out, "r");
        assert_eq!(
            O::output_from_xml(xml.as_bytes()).unwrap(),
            out,
            "{name}: {xml}"
        );
    }
    assert!(seen > 0, "no response captured for {name}");
}

#[test]
fn captured_requests_read_the_same_in_both_protocols() {
    let send: SendMessageInput = same_request("send-message", |i| i);
    assert_eq!(send.message_body, "hello query");
    let attrs = send.message_attributes.unwrap();
    assert_eq!(
        attrs["bin"].binary_value.as_ref().unwrap().as_bytes(),
        &[0, 1, 2]
    );
    assert_eq!(
        attrs["attr1"],
        MessageAttributeValue::builder()
            .data_type("String")
            .string_value("v1")
            .build()
            .unwrap()
    );

    let create: CreateQueueInput = same_request("create-queue", |i| i);
    assert!(create.queue_name.starts_with("wire-demo"), "{create:?}");
    let receive: ReceiveMessageInput =
        same_request("receive-message", |mut i: ReceiveMessageInput| {
            i.attribute_names = None;
            i
        });
    assert!(receive.max_number_of_messages.is_some());
    let _: GetQueueAttributesInput = same_request("get-queue-attributes", |i| i);
}

#[test]
fn derived_query_requests_read_back() {
    for (file, check) in [
        (
            "derived-query-send-message-batch.request.form",
            "SendMessageBatch",
        ),
        (
            "derived-query-create-queue-attributes.request.form",
            "CreateQueue",
        ),
    ] {
        let form = Form::parse(&fixture(file)).unwrap();
        assert_eq!(form.get("Action"), Some(check));
        match check {
            "SendMessageBatch" => {
                let input = SendMessageBatchInput::from_form(&form).unwrap();
                assert!(input.entries.len() >= 2, "{input:?}");
                assert_eq!(
                    pairs(input.to_query().as_bytes()),
                    pairs(&fixture(file)),
                    "{file}"
                );
            }
            _ => {
                let input = CreateQueueInput::from_form(&form).unwrap();
                assert!(input.attributes.as_ref().is_some_and(|a| !a.is_empty()));
                assert_eq!(pairs(input.to_query().as_bytes()), pairs(&fixture(file)));
            }
        }
    }
}

fn pairs(form: &[u8]) -> Vec<(String, String)> {
    let mut p: Vec<_> = form_urlencoded::parse(form).into_owned().collect();
    p.sort();
    p
}

#[test]
fn captured_responses_are_written_back_faithfully() {
    same_response::<CreateQueueInput>("create-queue");
    same_response::<SendMessageInput>("send-message");
    same_response::<ReceiveMessageInput>("receive-message");
    same_response::<GetQueueAttributesInput>("get-queue-attributes");
    same_response::<GetQueueAttributesInput>("get-queue-attributes-redrive");
    same_response::<ListQueuesInput>("list-queues");
    same_response::<SendMessageBatchInput>("send-message-batch");
    same_response::<ChangeMessageVisibilityBatchInput>("change-visibility-batch-partial");
    same_response::<DeleteMessageInput>("delete-message");
    same_response::<SetQueueAttributesInput>("set-queue-attributes");
}

#[test]
fn bad_requests_name_the_parameter() {
    let missing =
        SendMessageInput::from_form(&Form::parse(b"Action=SendMessage&QueueUrl=q").unwrap());
    assert_eq!(
        missing,
        Err(RequestError::Missing {
            parameter: "MessageBody".into()
        })
    );
    let missing = SendMessageInput::from_json(br#"{"QueueUrl":"q"}"#);
    assert!(
        matches!(&missing, Err(RequestError::Missing { parameter }) if parameter == "MessageBody"),
        "{missing:?}"
    );
    let bad = ReceiveMessageInput::from_form(
        &Form::parse(b"QueueUrl=q&MaxNumberOfMessages=ten").unwrap(),
    );
    assert!(
        matches!(&bad, Err(RequestError::Invalid { parameter, .. }) if parameter == "MaxNumberOfMessages"),
        "{bad:?}"
    );
    // Bytes that are not UTF-8, raw or percent-encoded, are refused rather than replaced.
    for body in [
        &b"QueueUrl=q&MessageBody=%FF%FE"[..],
        b"QueueUrl=q&MessageBody=\xff",
    ] {
        assert!(
            matches!(Form::parse(body), Err(RequestError::Invalid { ref parameter, .. }) if parameter == "MessageBody"),
            "{body:?}"
        );
    }
    assert!(matches!(
        Form::parse(b"%C0=x"),
        Err(RequestError::Malformed(_))
    ));
    assert_eq!(
        Form::parse(b"A=%E2%82%AC+b").unwrap().get("A"),
        Some("\u{20ac} b")
    );
    let bad = SendMessageBatchInput::from_form(
        &Form::parse(b"QueueUrl=q&SendMessageBatchRequestEntry.1.Id=a").unwrap(),
    );
    assert_eq!(
        bad,
        Err(RequestError::Missing {
            parameter: "SendMessageBatchRequestEntry.1.MessageBody".into()
        })
    );
    assert!(matches!(
        SendMessageInput::from_json(b"{not json"),
        Err(RequestError::Malformed(_))
    ));
    // An empty body is an input with no members.
    ListQueuesInput::from_json(b"").unwrap();
}
