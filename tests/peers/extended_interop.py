"""The Python extended client (amazon-sqs-extended-client) as an interop peer, against moto.

Usage:
  python extended_interop.py setup ENDPOINT BUCKET QUEUE        -> prints the queue URL
  python extended_interop.py send ENDPOINT BUCKET QUEUE_URL N [legacy]
  python extended_interop.py receive ENDPOINT BUCKET QUEUE_URL
  python extended_interop.py put_pointer ENDPOINT BUCKET QUEUE_URL KEY N
      -> puts the payload at exactly KEY (boto3) and sends the pointer to it with the size
         attribute, as the Java and Python clients write them
  python extended_interop.py objects ENDPOINT BUCKET   -> the keys in the bucket
  python extended_interop.py uploads ENDPOINT BUCKET   -> the multipart uploads in progress
Each prints one JSON line. The payload sent is "interop ü " repeated N times.
"""

import hashlib
import json
import sys

import boto3

mode, endpoint, bucket = sys.argv[1], sys.argv[2], sys.argv[3]
kwargs = dict(endpoint_url=endpoint, region_name="us-east-1",
              aws_access_key_id="test", aws_secret_access_key="test")

if mode == "setup":
    boto3.client("s3", **kwargs).create_bucket(Bucket=bucket)
    print(json.dumps({"queue_url": boto3.client("sqs", **kwargs).create_queue(QueueName=sys.argv[4])["QueueUrl"]}))
    sys.exit(0)

if mode == "put_pointer":
    queue_url, key, n = sys.argv[4], sys.argv[5], int(sys.argv[6])
    data = ("interop ü " * n).encode()
    boto3.client("s3", **kwargs).put_object(Bucket=bucket, Key=key, Body=data)
    pointer = json.dumps(["software.amazon.payloadoffloading.PayloadS3Pointer",
                          {"s3BucketName": bucket, "s3Key": key}])
    boto3.client("sqs", **kwargs).send_message(
        QueueUrl=queue_url, MessageBody=pointer,
        MessageAttributes={"ExtendedPayloadSize": {"DataType": "Number", "StringValue": str(len(data))}})
    print(json.dumps({"len": len(data), "md5": hashlib.md5(data).hexdigest()}))
    sys.exit(0)

if mode == "objects":
    s3 = boto3.client("s3", **kwargs)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    print(json.dumps(keys))
    sys.exit(0)

if mode == "uploads":
    s3 = boto3.client("s3", **kwargs)
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    print(json.dumps([u["Key"] for u in uploads]))
    sys.exit(0)

import sqs_extended_client  # noqa: E402,F401  (patches boto3)

sqs = boto3.client("sqs", **kwargs)
sqs.large_payload_support = bucket
sqs.s3_client = boto3.client("s3", **kwargs)
sqs.delete_payload_from_s3 = True
queue_url = sys.argv[4]

if mode == "send":
    payload = "interop ü " * int(sys.argv[5])
    if len(sys.argv) > 6 and sys.argv[6] == "legacy":
        sqs.use_legacy_attribute = True
    sqs.send_message(QueueUrl=queue_url, MessageBody=payload,
                     MessageAttributes={"user-attr": {"DataType": "String", "StringValue": "keep-me"}})
    data = payload.encode()
    print(json.dumps({"len": len(data), "md5": hashlib.md5(data).hexdigest()}))
elif mode == "receive":
    got = sqs.receive_message(QueueUrl=queue_url, MessageAttributeNames=["All"], WaitTimeSeconds=2)
    out = []
    for m in got.get("Messages", []):
        data = m["Body"].encode()
        attrs = {k: v.get("StringValue") for k, v in m.get("MessageAttributes", {}).items()}
        out.append({"len": len(data), "md5": hashlib.md5(data).hexdigest(), "attrs": attrs})
        sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=m["ReceiptHandle"])
    print(json.dumps(out))
