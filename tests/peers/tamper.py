"""Requests signed by botocore (an independent SigV4 signer), then tampered with as an attacker on
the path would, sent raw to an SQS-compatible endpoint that checks signatures.

Usage: python tamper.py ENDPOINT

The endpoint must accept signatures of key AKIDTAMPER with secret "secret" for region us-east-1
(and no session token). Every untampered request must pass and every tampered one be refused with
a 403 and the code AWS uses; the target queue must still exist at the end. Prints one line per
case and a closing "N passed, M failed"; exits 1 if any failed.
"""

import contextlib
import datetime
import http.client
import json
import sys
import urllib.parse
from unittest import mock

from botocore.auth import S3SigV4Auth, SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ENDPOINT = sys.argv[1]
SPLIT = urllib.parse.urlsplit(ENDPOINT)
GOOD = Credentials("AKIDTAMPER", "secret")
FORM = "application/x-www-form-urlencoded; charset=utf-8"
JSON = "application/x-amz-json-1.0"


def signed(body, target=None, creds=GOOD, service="sqs", region="us-east-1", at=None,
           signer=SigV4Auth, extra=None):
    """The headers botocore signs for a POST of `body` (JSON if `target`, else a form)."""
    headers = {"Content-Type": JSON if target else FORM}
    if target:
        headers["X-Amz-Target"] = "AmazonSQS." + target
    headers.update(extra or {})
    request = AWSRequest(method="POST", url=ENDPOINT + "/", data=body, headers=headers)
    clock = (mock.patch("botocore.auth.get_current_datetime", return_value=at)
             if at else contextlib.nullcontext())
    with clock:
        signer(creds, service, region).add_auth(request)
    return dict(request.headers.items())


def send(headers, body):
    connection = http.client.HTTPConnection(SPLIT.hostname, SPLIT.port, timeout=10)
    try:
        connection.request("POST", "/", body=body, headers=headers)
        response = connection.getresponse()
        return response.status, response.read().decode("utf-8", "replace")
    finally:
        connection.close()


def form(**params):
    return urllib.parse.urlencode({**params, "Version": "2012-11-05"}).encode()


RESULTS = []


def case(name, status_and_text, want_status, want_code=None):
    status, text = status_and_text
    ok = status == want_status and (want_code is None or want_code in text)
    RESULTS.append(ok)
    print(f"{'ok  ' if ok else 'FAIL'} {name}: {status} {text[:160] if not ok else want_code or ''}")


def main():
    create = json.dumps({"QueueName": "tamper-target"}).encode()
    status, text = send(signed(create, "CreateQueue"), create)
    case("a signed CreateQueue passes", (status, text), 200)
    queue_url = json.loads(text)["QueueUrl"]
    get_url = form(Action="GetQueueUrl", QueueName="tamper-target")
    delete = form(Action="DeleteQueue", QueueUrl=queue_url)

    # Body swap: a captured, correctly signed GetQueueUrl replayed with a DeleteQueue body, with
    # and without an X-Amz-Content-Sha256 header vouching for the signed body.
    for signer, label in [(SigV4Auth, "plain"), (S3SigV4Auth, "with X-Amz-Content-Sha256")]:
        headers = signed(get_url, signer=signer)
        case(f"GetQueueUrl ({label}) passes", send(headers, get_url), 200)
        case(f"body swapped to DeleteQueue ({label})", send(headers, delete), 403,
             "SignatureDoesNotMatch")

    # Header swap: a JSON GetQueueUrl whose (signed) target is changed in flight.
    json_get = json.dumps({"QueueName": "tamper-target"}).encode()
    json_delete = json.dumps({"QueueUrl": queue_url}).encode()
    headers = signed(json_get, "GetQueueUrl")
    case("JSON GetQueueUrl passes", send(headers, json_get), 200)
    swapped = {**headers, "X-Amz-Target": "AmazonSQS.DeleteQueue"}
    case("target swapped to DeleteQueue", send(swapped, json_delete), 403, "SignatureDoesNotMatch")
    case("target swapped, body kept", send(swapped, json_get), 403, "SignatureDoesNotMatch")
    # The same with the target left out of SignedHeaders by the attacker.
    unsigned = dict(swapped)
    unsigned["Authorization"] = unsigned["Authorization"].replace(";x-amz-target", "")
    case("target dropped from SignedHeaders", send(unsigned, json_delete), 403,
         "SignatureDoesNotMatch")

    # A stale date (ten minutes ago) and one from the future.
    now = datetime.datetime.now(datetime.timezone.utc)
    for offset, label, text in [(-600, "ten minutes old", "Signature expired"),
                                (600, "ten minutes ahead", "Signature not yet current")]:
        at = now + datetime.timedelta(seconds=offset)
        case(f"signed {label}", send(signed(delete, at=at), delete), 403, text)

    # Wrong scope, key, secret, token; an unsigned payload.
    case("scoped to s3", send(signed(delete, service="s3"), delete), 403, "SignatureDoesNotMatch")
    case("scoped to eu-west-1", send(signed(delete, region="eu-west-1"), delete), 403,
         "SignatureDoesNotMatch")
    case("another key", send(signed(delete, creds=Credentials("AKIDOTHER", "secret")), delete),
         403, "InvalidClientTokenId")
    case("another secret", send(signed(delete, creds=Credentials("AKIDTAMPER", "guess")), delete),
         403, "SignatureDoesNotMatch")
    case("a session token the key pair does not have",
         send(signed(delete, creds=Credentials("AKIDTAMPER", "secret", "token")), delete),
         403, "InvalidClientTokenId")
    unsigned_payload = signed(delete, extra={"X-Amz-Content-SHA256": "UNSIGNED-PAYLOAD"})
    case("UNSIGNED-PAYLOAD", send(unsigned_payload, delete), 403, "IncompleteSignature")
    no_auth = {"Content-Type": FORM}
    case("no Authorization", send(no_auth, delete), 403, "MissingAuthenticationToken")

    # Nothing of the above took effect: the queue is still there.
    case("the queue survived", send(signed(get_url), get_url), 200, "tamper-target")

    failed = RESULTS.count(False)
    print(f"{len(RESULTS) - failed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


main()
