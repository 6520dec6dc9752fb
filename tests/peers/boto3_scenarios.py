"""Scenarios run by boto3 (an independent client) against an SQS-compatible endpoint.

Usage: python boto3_scenarios.py ENDPOINT

The endpoint must accept SigV4 signatures of key AKIDBOTO3 with secret "secret" (it may check
them). boto3 speaks AWS JSON 1.0 and verifies the MD5 digests of what it sends and receives; the AWS
Query checks post forms with urllib and read the XML. Every wait is bounded. Prints one line per
scenario and a closing "N passed, M failed"; exits 1 if any failed.
"""

import hashlib
import sys
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import uuid
import xml.etree.ElementTree as ET

import boto3
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ENDPOINT = sys.argv[1]
sqs = boto3.client(
    "sqs",
    endpoint_url=ENDPOINT,
    region_name="us-east-1",
    aws_access_key_id="AKIDBOTO3",
    aws_secret_access_key="secret",
)


def fresh(name, **attributes):
    url = sqs.create_queue(
        QueueName=f"{name}-{uuid.uuid4().hex[:8]}" + (".fifo" if attributes.get("FifoQueue") else ""),
        Attributes={k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in attributes.items()},
    )["QueueUrl"]
    return url


def arn_of(url):
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def receive(url, visibility=None, wait=0, count=10):
    kwargs = dict(
        QueueUrl=url,
        MaxNumberOfMessages=count,
        WaitTimeSeconds=wait,
        MessageAttributeNames=["All"],
        MessageSystemAttributeNames=["All"],
    )
    if visibility is not None:
        kwargs["VisibilityTimeout"] = visibility
    return sqs.receive_message(**kwargs).get("Messages", [])


def error_code(call, **kwargs):
    try:
        call(**kwargs)
    except ClientError as e:
        return e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"]
    raise AssertionError(f"{call.__name__} succeeded but should have failed")


def expect_code(got, *names):
    code, _status = got
    assert code in names, f"error code {code!r}, expected one of {names}"


def scenario_json_error_codes():
    url = fresh("errors")
    expect_code(error_code(sqs.get_queue_url, QueueName="does-not-exist"),
                "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")
    expect_code(error_code(sqs.send_message_batch, QueueUrl=url, Entries=[]),
                "AWS.SimpleQueueService.EmptyBatchRequest", "EmptyBatchRequest")
    entries = [{"Id": f"e{i}", "MessageBody": "x"} for i in range(11)]
    expect_code(error_code(sqs.send_message_batch, QueueUrl=url, Entries=entries),
                "AWS.SimpleQueueService.TooManyEntriesInBatchRequest", "TooManyEntriesInBatchRequest")
    twice = [{"Id": "same", "MessageBody": "x"}, {"Id": "same", "MessageBody": "y"}]
    expect_code(error_code(sqs.send_message_batch, QueueUrl=url, Entries=twice),
                "AWS.SimpleQueueService.BatchEntryIdsNotDistinct", "BatchEntryIdsNotDistinct")
    expect_code(error_code(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "bad id!", "MessageBody": "x"}]),
                "AWS.SimpleQueueService.InvalidBatchEntryId", "InvalidBatchEntryId")
    expect_code(error_code(sqs.delete_message, QueueUrl=url, ReceiptHandle="garbage"),
                "ReceiptHandleIsInvalid")
    code, status = error_code(sqs.receive_message, QueueUrl=url, MaxNumberOfMessages=11)
    assert (code, status) == ("InvalidParameterValue", 400), (code, status)
    expect_code(error_code(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["NoSuchAttribute"]),
                "InvalidAttributeName")
    expect_code(error_code(sqs.set_queue_attributes, QueueUrl=url, Attributes={"VisibilityTimeout": "50000"}),
                "InvalidAttributeValue")
    name = url.rsplit("/", 1)[1]
    expect_code(error_code(sqs.create_queue, QueueName=name, Attributes={"DelaySeconds": "5"}),
                "QueueAlreadyExists", "QueueNameExists")
    expect_code(error_code(sqs.send_message, QueueUrl=url, MessageBody="bad \u0001 char"),
                "InvalidMessageContents")
    sqs.purge_queue(QueueUrl=url)
    expect_code(error_code(sqs.purge_queue, QueueUrl=url),
                "AWS.SimpleQueueService.PurgeQueueInProgress", "PurgeQueueInProgress")


def query(params):
    """Posts an AWS Query form, signed by botocore's SigV4 signer."""
    body = urllib.parse.urlencode({"Version": "2012-11-05", **params}).encode()
    aws = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers={
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
    SigV4Auth(Credentials("AKIDBOTO3", "secret"), "sqs", "us-east-1").add_auth(aws)
    req = urllib.request.Request(ENDPOINT + "/", data=body, headers=dict(aws.headers.items()))
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, ET.fromstring(r.read())
    except urllib.error.HTTPError as e:
        return e.code, ET.fromstring(e.read())


def local(tag):
    return tag.rsplit("}", 1)[-1]


def find(root, name):
    return next((el for el in root.iter() if local(el.tag) == name), None)


def scenario_query_error_codes():
    url = fresh("query-errors")
    for params, status, code in [
        ({"Action": "GetQueueUrl", "QueueName": "nope"}, 400, "AWS.SimpleQueueService.NonExistentQueue"),
        ({"Action": "ReceiveMessage", "QueueUrl": url, "MaxNumberOfMessages": "11"}, 400, "InvalidParameterValue"),
        ({"Action": "SendMessageBatch", "QueueUrl": url}, 400, "AWS.SimpleQueueService.EmptyBatchRequest"),
        ({"Action": "DeleteMessage", "QueueUrl": url, "ReceiptHandle": "garbage"}, 404, "ReceiptHandleIsInvalid"),
        ({"Action": "SendMessage", "QueueUrl": url}, 400, "MissingParameter"),
        ({"Action": "NoSuchAction"}, 400, "InvalidAction"),
    ]:
        got_status, root = query(params)
        assert local(root.tag) == "ErrorResponse", ET.tostring(root)
        got_code = find(root, "Code").text
        assert (got_status, got_code) == (status, code), (params["Action"], got_status, got_code)
        assert find(root, "Type").text == "Sender"
        assert find(root, "RequestId") is not None
    # A wrong secret is refused (the service checks signatures in this suite).
    wrong = boto3.client("sqs", endpoint_url=ENDPOINT, region_name="us-east-1",
                         aws_access_key_id="AKIDBOTO3", aws_secret_access_key="wrong")
    code, status = error_code(wrong.list_queues)
    assert (code, status) == ("SignatureDoesNotMatch", 403), (code, status)
    # A success in Query: the message and its digest come back as XML.
    status, root = query({"Action": "SendMessage", "QueueUrl": url, "MessageBody": "via query <&>"})
    assert status == 200 and local(root.tag) == "SendMessageResponse", ET.tostring(root)
    status, root = query({"Action": "ReceiveMessage", "QueueUrl": url})
    assert find(root, "Body").text == "via query <&>"
    assert find(root, "MD5OfBody").text == hashlib.md5("via query <&>".encode()).hexdigest()


def scenario_md5_of_every_attribute_type():
    url = fresh("md5")
    attributes = {
        "s": {"DataType": "String", "StringValue": "héllo"},
        "n": {"DataType": "Number", "StringValue": "-12.5"},
        "b": {"DataType": "Binary", "BinaryValue": bytes([0, 1, 254, 255])},
        "custom": {"DataType": "String.json", "StringValue": '{"a":1}'},
        "bc": {"DataType": "Binary.gz", "BinaryValue": b"\x1f\x8b"},
    }
    # boto3 raises if the MD5s the service returns do not match what it computed.
    sqs.send_message(QueueUrl=url, MessageBody="digest me \r\n\t✓", MessageAttributes=attributes)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "one", "MessageBody": "batch one", "MessageAttributes": {"k": {"DataType": "String", "StringValue": "v"}}},
        {"Id": "two", "MessageBody": "batch two"},
    ])
    got = []
    deadline = time.time() + 10
    while len(got) < 3 and time.time() < deadline:
        got += receive(url, visibility=60)
    assert len(got) == 3, got
    first = next(m for m in got if m["Body"].startswith("digest"))
    assert first["Body"] == "digest me \r\n\t✓"
    assert first["MessageAttributes"]["b"]["BinaryValue"] == bytes([0, 1, 254, 255])
    assert first["MessageAttributes"]["custom"]["DataType"] == "String.json"
    assert "MD5OfMessageAttributes" in first


def scenario_visibility_expiry():
    url = fresh("visibility")
    sqs.send_message(QueueUrl=url, MessageBody="come back")
    first = receive(url, visibility=1)
    assert len(first) == 1
    assert receive(url) == [], "hidden while in flight"
    again = []
    deadline = time.time() + 10
    while not again and time.time() < deadline:
        time.sleep(0.2)
        again = receive(url, visibility=30)
    assert len(again) == 1, "came back after the visibility timeout"
    assert again[0]["Attributes"]["ApproximateReceiveCount"] == "2"
    assert again[0]["MessageId"] == first[0]["MessageId"]


def scenario_receipt_handle_rotation():
    url = fresh("handles")
    sqs.send_message(QueueUrl=url, MessageBody="rotate")
    first = receive(url, visibility=0)[0]
    second = receive(url, visibility=0)[0]
    assert first["ReceiptHandle"] != second["ReceiptHandle"]
    # The old handle is accepted but deletes nothing; the latest one deletes.
    sqs.delete_message(QueueUrl=url, ReceiptHandle=first["ReceiptHandle"])
    third = receive(url, visibility=60)
    assert len(third) == 1, "the stale handle did not delete the message"
    sqs.delete_message(QueueUrl=url, ReceiptHandle=third[0]["ReceiptHandle"])
    assert receive(url, visibility=0) == []


def scenario_fifo_order_and_deduplication():
    url = fresh("orders", FifoQueue=True)
    seqs = []
    for i in range(5):
        out = sqs.send_message(QueueUrl=url, MessageBody=f"o{i}", MessageGroupId="g", MessageDeduplicationId=f"d{i}")
        seqs.append(int(out["SequenceNumber"]))
    assert seqs == sorted(seqs) and len(set(seqs)) == 5
    dup = sqs.send_message(QueueUrl=url, MessageBody="o0 again", MessageGroupId="g", MessageDeduplicationId="d0")
    bodies = []
    deadline = time.time() + 10
    while len(bodies) < 5 and time.time() < deadline:
        for m in receive(url, visibility=60):
            bodies.append(m["Body"])
            assert m["Attributes"]["MessageGroupId"] == "g"
            sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    assert bodies == ["o0", "o1", "o2", "o3", "o4"], bodies
    assert receive(url) == [], "the duplicate was dropped"
    assert dup["MessageId"]
    expect_code(error_code(sqs.send_message, QueueUrl=url, MessageBody="x", MessageDeduplicationId="z"),
                "MissingParameter")
    cbd = fresh("cbd", FifoQueue=True, ContentBasedDeduplication=True)
    a = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    b = sqs.send_message(QueueUrl=cbd, MessageBody="same", MessageGroupId="g")
    assert a["MessageId"] == b["MessageId"], "deduplicated by the body's SHA-256"


def scenario_dead_letter_redrive():
    dlq = fresh("dlq")
    work = fresh("work", RedrivePolicy=f'{{"deadLetterTargetArn":"{arn_of(dlq)}","maxReceiveCount":"2"}}')
    sqs.send_message(QueueUrl=work, MessageBody="poison")
    assert len(receive(work, visibility=0)) == 1
    assert len(receive(work, visibility=0)) == 1
    assert receive(work, visibility=0) == [], "moved after the second receive"
    dead = receive(dlq, visibility=60)
    assert [m["Body"] for m in dead] == ["poison"]
    assert dead[0]["Attributes"].get("DeadLetterQueueSourceArn") == arn_of(work)
    sources = sqs.list_dead_letter_source_queues(QueueUrl=dlq)["queueUrls"]
    assert sources == [work], sources
    policy = sqs.get_queue_attributes(QueueUrl=work, AttributeNames=["RedrivePolicy"])["Attributes"]["RedrivePolicy"]
    assert '"maxReceiveCount":2' in policy.replace(" ", ""), policy


def scenario_long_polling():
    url = fresh("longpoll")
    result = {}

    def wait():
        start = time.time()
        result["messages"] = receive(url, wait=10)
        result["elapsed"] = time.time() - start

    t = threading.Thread(target=wait)
    t.start()
    time.sleep(0.3)
    sqs.send_message(QueueUrl=url, MessageBody="ping")
    t.join(15)
    assert len(result["messages"]) == 1
    assert result["elapsed"] < 5, f"answered after {result['elapsed']:.1f}s"
    start = time.time()
    assert receive(url, wait=1) == []
    assert 0.9 <= time.time() - start < 5, "an empty long poll waits its time"


def scenario_delays_and_counts():
    url = fresh("delays", DelaySeconds=1)
    sqs.send_message(QueueUrl=url, MessageBody="late")
    sqs.send_message(QueueUrl=url, MessageBody="later", DelaySeconds=0)
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attrs["ApproximateNumberOfMessagesDelayed"] == "1", attrs
    assert attrs["ApproximateNumberOfMessages"] == "1", attrs
    assert attrs["DelaySeconds"] == "1"
    got = []
    deadline = time.time() + 10
    while len(got) < 2 and time.time() < deadline:
        got += receive(url, visibility=60, wait=1)
    assert sorted(m["Body"] for m in got) == ["late", "later"]
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"])
    assert attrs["Attributes"]["ApproximateNumberOfMessagesNotVisible"] == "2"


def scenario_tags_permissions_and_listing():
    prefix = f"list-{uuid.uuid4().hex[:6]}"
    urls = sorted(sqs.create_queue(QueueName=f"{prefix}-{i}", tags={"n": str(i)})["QueueUrl"] for i in range(3))
    page = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2)
    assert len(page["QueueUrls"]) == 2 and "NextToken" in page
    rest = sqs.list_queues(QueueNamePrefix=prefix, MaxResults=2, NextToken=page["NextToken"])
    assert sorted(page["QueueUrls"] + rest["QueueUrls"]) == urls and "NextToken" not in rest
    sqs.tag_queue(QueueUrl=urls[0], Tags={"team": "core"})
    sqs.untag_queue(QueueUrl=urls[0], TagKeys=["n"])
    assert sqs.list_queue_tags(QueueUrl=urls[0])["Tags"] == {"team": "core"}
    sqs.add_permission(QueueUrl=urls[0], Label="p1", AWSAccountIds=["111122223333"], Actions=["SendMessage"])
    policy = sqs.get_queue_attributes(QueueUrl=urls[0], AttributeNames=["Policy"])["Attributes"]["Policy"]
    assert '"p1"' in policy and "111122223333" in policy
    sqs.remove_permission(QueueUrl=urls[0], Label="p1")
    expect_code(error_code(sqs.remove_permission, QueueUrl=urls[0], Label="p1"), "InvalidParameterValue")
    for u in urls:
        sqs.delete_queue(QueueUrl=u)
    expect_code(error_code(sqs.get_queue_url, QueueName=f"{prefix}-0"),
                "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


def main():
    scenarios = [(n, f) for n, f in sorted(globals().items()) if n.startswith("scenario_")]
    passed = failed = 0
    for name, fn in scenarios:
        try:
            fn()
            passed += 1
            print(f"ok   {name}")
        except Exception:
            failed += 1
            print(f"FAIL {name}")
            traceback.print_exc()
    print(f"boto3 scenarios: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
