//! What sqs-local refuses to store: characters XML cannot hold (so no answer is ever written that
//! a Query client cannot parse), bytes that are not UTF-8, a `.fifo` name on a standard queue.
//! Raw requests, so that nothing on the client side cleans them first.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

/// Posts `body` (JSON with `target`, else a form) and returns the status and the answer's body.
fn post(addr: SocketAddr, target: Option<&str>, body: &[u8]) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let headers = match target {
        Some(t) => {
            format!("content-type: application/x-amz-json-1.0\r\nx-amz-target: AmazonSQS.{t}\r\n")
        }
        None => "content-type: application/x-www-form-urlencoded\r\n".to_owned(),
    };
    write!(
        s,
        "POST / HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n{headers}content-length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    s.write_all(body).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    let answer = String::from_utf8(answer).expect("answers are UTF-8");
    let status = answer[9..12].parse().unwrap();
    let body = answer.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn what_xml_cannot_hold_or_is_not_utf8_is_refused() {
    let local = sqs_local::start().await.unwrap();
    let addr = local.local_addr();
    let url = local.queue_url("clean");
    let form = |text: String| text.into_bytes();
    tokio::task::spawn_blocking(move || {
        let (status, _) = post(addr, None, &form("Action=CreateQueue&QueueName=clean".into()));
        assert_eq!(status, 200);
        let refused = |status: u16, body: &str, code: &str| {
            assert_eq!(status, 400, "{body}");
            assert!(body.contains(code), "{body}");
            // Whatever the request held, the answer is XML a Query client can read.
            sqs_model::wire::parse_xml(body.as_bytes()).expect("the error answer parses");
        };
        // Control characters in tags, attributes, permissions, message attributes.
        for (what, body) in [
            ("a tag value", format!("Action=TagQueue&QueueUrl={url}&Tag.1.Key=k&Tag.1.Value=a%00b")),
            ("a tag key", format!("Action=TagQueue&QueueUrl={url}&Tag.1.Key=%01&Tag.1.Value=v")),
            (
                "a policy",
                format!("Action=SetQueueAttributes&QueueUrl={url}&Attribute.1.Name=Policy&Attribute.1.Value=%7B%7D%1B"),
            ),
            (
                "a permission label",
                format!("Action=AddPermission&QueueUrl={url}&Label=a%00&AWSAccountId.1=111111111111&ActionName.1=SendMessage"),
            ),
            (
                "a message attribute",
                format!("Action=SendMessage&QueueUrl={url}&MessageBody=b&MessageAttribute.1.Name=a&MessageAttribute.1.Value.DataType=String&MessageAttribute.1.Value.StringValue=%EF%BF%BF"),
            ),
        ] {
            let (status, body) = post(addr, None, &form(body));
            assert!(body.contains("InvalidParameterValue"), "{what}: {body}");
            refused(status, &body, "InvalidParameterValue");
        }
        let json = format!(r#"{{"QueueUrl":"{url}","Tags":{{"k":"a\u0000b"}}}}"#);
        let (status, body) = post(addr, Some("TagQueue"), json.as_bytes());
        assert_eq!(status, 400, "{body}");
        assert!(body.contains("InvalidParameterValue"), "{body}");
        // Nothing of it was stored.
        let (_, tags) = post(addr, None, &form(format!("Action=ListQueueTags&QueueUrl={url}")));
        assert!(!tags.contains("<Tag>"), "{tags}");

        // Bytes that are not UTF-8: refused, never stored as U+FFFD.
        let mut raw = format!("Action=SendMessage&QueueUrl={url}&MessageBody=").into_bytes();
        raw.extend_from_slice(b"\xff\xfe");
        let (status, body) = post(addr, None, &raw);
        refused(status, &body, "InvalidParameterValue");
        let mut raw = format!(r#"{{"QueueUrl":"{url}","MessageBody":""#).into_bytes();
        raw.extend_from_slice(b"\xc0\x80\"}");
        let (status, body) = post(addr, Some("SendMessage"), &raw);
        assert_eq!(status, 400, "{body}");
        let (_, attrs) = post(
            addr,
            None,
            &form(format!("Action=GetQueueAttributes&QueueUrl={url}&AttributeName.1=ApproximateNumberOfMessages")),
        );
        assert!(attrs.contains("<Value>0</Value>"), "{attrs}");

        // A `.fifo` name without FifoQueue=true.
        let (status, body) = post(addr, None, &form("Action=CreateQueue&QueueName=jobs.fifo".into()));
        refused(status, &body, "InvalidParameterValue");
    })
    .await
    .unwrap();
}
