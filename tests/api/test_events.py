"""The audit trail: an event per call in CloudTrail's record shape, read back with LookupEvents.

Sources: "CloudTrail record contents for management, data, and network activity events" and "CloudTrail
userIdentity element" (AWS CloudTrail User Guide) for the record; "LookupEvents" and "LookupAttribute"
(AWS CloudTrail API Reference) for the reader; "Logging IAM and AWS STS API calls with AWS CloudTrail"
(IAM User Guide) for what IAM and STS events never hold.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def lookup(server, key: str, value: str, **extra) -> list[dict]:
    """Every event matching one lookup attribute, newest first, through all pages."""
    trail = client(server, "cloudtrail")
    pages = trail.get_paginator("lookup_events").paginate(
        LookupAttributes=[{"AttributeKey": key, "AttributeValue": value}], **extra)
    return [event for page in pages for event in page["Events"]]


def record(event: dict) -> dict:
    return json.loads(event["CloudTrailEvent"])


def by_request(server, request_id: str, name: str) -> dict:
    found = [record(e) for e in lookup(server, "EventName", name) if record(e)["requestID"] == request_id]
    assert len(found) == 1, f"{len(found)} events for request {request_id}"
    return found[0]


def test_a_call_is_recorded_in_cloudtrails_shape(server, iam, unique):
    """Record contents: every field AWS marks as always present, with its documented value."""
    name = unique("rec")
    response = iam.create_user(UserName=name, Tags=[{"Key": "team", "Value": "blue"}])
    event = by_request(server, response["ResponseMetadata"]["RequestId"], "CreateUser")
    assert event["eventVersion"] == "1.09"
    assert event["eventSource"] == "iam.amazonaws.com"
    assert event["eventName"] == "CreateUser"
    assert event["awsRegion"] == "us-east-1"
    assert event["sourceIPAddress"] == "127.0.0.1"
    assert event["userAgent"].startswith("Boto3/")
    assert event["userIdentity"] == {"type": "Root", "principalId": ACCOUNT_ID,
                                     "arn": f"arn:aws:iam::{ACCOUNT_ID}:root",
                                     "accountId": ACCOUNT_ID, "accessKeyId": "AKIAIOSFODNN7EXAMPLE"}
    assert event["requestParameters"] == {"userName": name, "tags": [{"key": "team", "value": "blue"}]}
    user = event["responseElements"]["user"]
    assert user["userName"] == name and user["userId"] == response["User"]["UserId"]
    assert user["arn"] == response["User"]["Arn"]
    assert event["readOnly"] is False and event["eventType"] == "AwsApiCall"
    assert event["managementEvent"] is True and event["eventCategory"] == "Management"
    assert event["recipientAccountId"] == ACCOUNT_ID
    assert "errorCode" not in event and "tlsDetails" not in event  # plain HTTP here
    when = datetime.strptime(event["eventTime"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert abs((datetime.now(UTC) - when).total_seconds()) < 60
    assert event["iamdAuthorization"]["decidedBy"] == "root user"


def test_read_only_calls_keep_no_response(server, iam, unique):
    """A Get or List call is readOnly and its responseElements null, as CloudTrail writes them."""
    name = unique("ro")
    iam.create_user(UserName=name)
    response = iam.get_user(UserName=name)
    event = by_request(server, response["ResponseMetadata"]["RequestId"], "GetUser")
    assert event["readOnly"] is True
    assert event["responseElements"] is None
    assert event["requestParameters"] == {"userName": name}


def test_a_user_call_names_the_user_and_the_deciding_statement(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="reader", PolicyDocument=doc(
        {"Sid": "ListThem", "Effect": "Allow", "Action": "iam:ListUsers", "Resource": "*"}))
    response = client(server, "iam", key_id, secret).list_users()
    event = by_request(server, response["ResponseMetadata"]["RequestId"], "ListUsers")
    identity = event["userIdentity"]
    assert identity["type"] == "IAMUser" and identity["userName"] == name
    assert identity["accessKeyId"] == key_id and identity["arn"].endswith(f":user/{name}")
    decided = event["iamdAuthorization"]
    assert decided["decision"] == "allowed"
    assert [(m["policyId"], m["sid"]) for m in decided["matchedStatements"]] == [("reader", "ListThem")]
    assert decided["resource"] == "*"


def test_a_refused_call_is_recorded_with_the_denying_statement(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="fence", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:*", "Resource": "*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Action": "iam:DeleteUser", "Resource": "*"}))
    with pytest.raises(ClientError) as refused:
        client(server, "iam", key_id, secret).delete_user(UserName=name)
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDenied", 403)
    event = by_request(server, refused.value.response["ResponseMetadata"]["RequestId"], "DeleteUser")
    assert event["errorCode"] == "AccessDenied" and event["errorMessage"] == message
    assert event["responseElements"] is None
    decided = event["iamdAuthorization"]
    assert decided["decision"] == "explicitDeny"
    assert [m["sid"] for m in decided["matchedStatements"]] == ["NoDeletes"]
    iam.get_user(UserName=name)  # and the refused call changed nothing


def test_a_failed_call_is_recorded_and_its_change_is_not(server, iam, unique):
    """errorCode is the model's error shape for IAM (EntityAlreadyExistsException)."""
    name = unique("dup")
    iam.create_user(UserName=name)
    with pytest.raises(ClientError) as failed:
        iam.create_user(UserName=name)
    event = by_request(server, failed.value.response["ResponseMetadata"]["RequestId"], "CreateUser")
    assert event["errorCode"] == "EntityAlreadyExistsException"
    assert event["errorMessage"] == failed.value.response["Error"]["Message"]
    assert len([e for e in lookup(server, "ResourceName", name) if e["EventName"] == "CreateUser"]) == 2


def test_a_call_that_did_not_happen_is_not_recorded(server):
    """A request that fails authentication is no one's call: nothing names its access key."""
    stranger = client(server, "iam", "AKIAIAMNOBODYATALL00", "x" * 40)
    with pytest.raises(ClientError):
        stranger.list_users()
    assert lookup(server, "AccessKeyId", "AKIAIAMNOBODYATALL00") == []


def test_secrets_never_reach_an_event(server, iam, new_user, unique):
    """No secret access key, password or session token, in requestParameters or responseElements."""
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="all", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["iam:*", "sts:*"], "Resource": "*"}))
    password, new_password = "Initial-Passw0rd!x", "Changed-Passw0rd!y"
    iam.create_login_profile(UserName=name, Password=password)
    user_iam = client(server, "iam", key_id, secret)
    user_iam.change_password(OldPassword=password, NewPassword=new_password)
    second_key = iam.create_access_key(UserName=name)["AccessKey"]
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}))
    sts = client(server, "sts", key_id, secret)
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}", RoleSessionName="s1")["Credentials"]
    session = sts.get_session_token()["Credentials"]

    texts = [e["CloudTrailEvent"] for e in lookup(server, "Username", name)]
    texts += [e["CloudTrailEvent"] for e in lookup(server, "ResourceName", name)]
    everything = "\n".join(texts)
    assert "ChangePassword" in everything and "AssumeRole" in everything and "GetSessionToken" in everything
    for secret_text in (secret, second_key["SecretAccessKey"], password, new_password, assumed["SecretAccessKey"],
                        assumed["SessionToken"], session["SecretAccessKey"], session["SessionToken"]):
        assert secret_text not in everything
    key_event = next(json.loads(t) for t in texts if json.loads(t)["eventName"] == "CreateAccessKey")
    assert key_event["responseElements"]["accessKey"]["accessKeyId"] == second_key["AccessKeyId"]
    assert "secretAccessKey" not in key_event["responseElements"]["accessKey"]
    assume_event = next(json.loads(t) for t in texts if json.loads(t)["eventName"] == "AssumeRole")
    assert assume_event["readOnly"] is True  # STS calls are read-only in CloudTrail
    assert assume_event["responseElements"]["credentials"]["accessKeyId"] == assumed["AccessKeyId"]
    assert set(assume_event["responseElements"]["credentials"]) == {"accessKeyId", "expiration"}


def test_a_role_session_is_recorded_as_assumed_role(server, iam, new_user, unique):
    caller, key_id, secret = new_user()
    iam.put_user_policy(UserName=caller, PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    role = unique("sess")
    created = iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"}))
    iam.put_role_policy(RoleName=role, PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:ListRoles", "Resource": "*"}))
    session_name = unique("who")
    sts = client(server, "sts", key_id, secret)
    creds = sts.assume_role(RoleArn=created["Role"]["Arn"], RoleSessionName=session_name)["Credentials"]
    response = client(server, "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"]).list_roles()
    event = by_request(server, response["ResponseMetadata"]["RequestId"], "ListRoles")
    identity = event["userIdentity"]
    assert identity["type"] == "AssumedRole"
    assert identity["arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role}/{session_name}"
    assert identity["accessKeyId"] == creds["AccessKeyId"]
    issuer = identity["sessionContext"]["sessionIssuer"]
    assert issuer == {"type": "Role", "principalId": created["Role"]["RoleId"], "arn": created["Role"]["Arn"],
                      "accountId": ACCOUNT_ID, "userName": role}
    assert identity["sessionContext"]["attributes"]["mfaAuthenticated"] == "false"
    assert identity["principalId"].startswith(created["Role"]["RoleId"] + ":")
    # LookupEvents' user name of a role session is the session's name.
    assert any(e["EventName"] == "ListRoles" for e in lookup(server, "Username", session_name))


def test_export_writes_one_cloudtrail_record_a_line(server, iam, unique, tmp_path):
    name = unique("exp")
    created = iam.create_user(UserName=name)
    out = tmp_path / "events.jsonl"
    done = server.cli("events", "export", "--account-id", ACCOUNT_ID, "--output", str(out),
                      "--since", (datetime.now(UTC) - timedelta(minutes=10)).isoformat())
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert records and all(r["eventVersion"] == "1.09" for r in records)
    # Other tests share the account: a ConsoleLogin record, for one, has no requestID (as in CloudTrail).
    mine = [r for r in records if r.get("requestID") == created["ResponseMetadata"]["RequestId"]]
    assert [r["eventName"] for r in mine] == ["CreateUser"]
    times = [r["eventTime"] for r in records]
    assert times == sorted(times)  # oldest first
    wrapped = server.cli("events", "export", "--records", "--since", "2100-01-01")
    assert json.loads(wrapped.stdout) == {"Records": []}


def test_retention_prunes_old_events_in_the_background(tmp_path):
    """A server with a 1-day retention deletes an event of last week on its own, and keeps today's."""
    import sqlite3
    import time
    import uuid

    from tests.api.server import standard_server

    running = standard_server(tmp_path)
    running.env_extra.update(IAMD_AUDIT_RETENTION_DAYS="1", IAMD_AUDIT_PRUNE_SECONDS="1")
    running.start()
    try:
        client(running, "iam").create_user(UserName="kept")
        database = sqlite3.connect(tmp_path / "iamd.db")
        old_ms = int((time.time() - 7 * 86400) * 1000)
        with database:
            database.execute("INSERT INTO events (event_id, account_id, event_ms, event_source, event_name, read_only, "
                             "record) VALUES (?, ?, ?, 'iam.amazonaws.com', 'ListUsers', 1, '{}')",
                             (str(uuid.uuid4()), ACCOUNT_ID, old_ms))
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if database.execute("SELECT count(*) FROM events WHERE event_ms = ?", (old_ms,)).fetchone()[0] == 0:
                break
            time.sleep(0.2)
        assert database.execute("SELECT count(*) FROM events WHERE event_ms = ?", (old_ms,)).fetchone()[0] == 0
        assert database.execute("SELECT count(*) FROM events WHERE event_name = 'CreateUser'").fetchone()[0] == 1
    finally:
        running.stop()


def test_https_calls_carry_tls_details(tmp_path):
    """Record contents: tlsDetails over HTTPS, with the Host header the client sent."""
    import boto3
    from botocore.config import Config

    from tests.api.server import ROOT_KEY_ID, ROOT_SECRET, standard_server

    running = standard_server(tmp_path)
    running.env_extra["IAMD_SELF_SIGNED"] = "1"
    running.start()
    try:
        endpoint = f"https://127.0.0.1:{running.port}"
        options = dict(endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id=ROOT_KEY_ID,
                       aws_secret_access_key=ROOT_SECRET, verify=False, config=Config(retries={"max_attempts": 1}))
        response = boto3.client("iam", **options).list_users()
        events = boto3.client("cloudtrail", **options).lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "ListUsers"}])["Events"]
        [event] = [json.loads(e["CloudTrailEvent"]) for e in events]
        assert event["requestID"] == response["ResponseMetadata"]["RequestId"]
        assert event["tlsDetails"] == {"clientProvidedHostHeader": f"127.0.0.1:{running.port}"}
        assert event["iamdAuthorization"]["decidedBy"] == "root user"
    finally:
        running.stop()


def test_an_operator_can_turn_recording_off(tmp_path):
    """IAMD_AUDIT=false: calls are served and nothing is recorded."""
    from tests.api.server import standard_server

    running = standard_server(tmp_path)
    running.env_extra["IAMD_AUDIT"] = "false"
    running.start()
    try:
        client(running, "iam").create_user(UserName="unrecorded")
        assert client(running, "cloudtrail").lookup_events()["Events"] == []
    finally:
        running.stop()
