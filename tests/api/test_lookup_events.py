"""CloudTrail's LookupEvents on iamd's endpoint, through boto3 and the aws CLI.

Sources: "LookupEvents" and "LookupAttribute" (AWS CloudTrail API Reference): eight attribute keys, one
attribute a request, newest first, 50 events a page at most and by default, the last 90 days unless a
time range is given, a NextToken to be passed back with the same parameters.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of
from tests.api.test_events import doc, lookup, record


@pytest.fixture
def trail(server):
    return client(server, "cloudtrail")


def test_each_lookup_attribute_finds_its_events(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:GetUser", "Resource": "*"}))
    got = client(server, "iam", key_id, secret).get_user(UserName=name)
    request_id = got["ResponseMetadata"]["RequestId"]
    [mine] = [e for e in lookup(server, "Username", name)]
    assert record(mine)["requestID"] == request_id
    assert mine["EventName"] == "GetUser" and mine["ReadOnly"] == "true" and mine["AccessKeyId"] == key_id
    assert mine["EventSource"] == "iam.amazonaws.com" and mine["Username"] == name
    assert mine["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": name}]
    event_id = mine["EventId"]
    for key, value in (("EventId", event_id), ("AccessKeyId", key_id), ("ResourceName", name),
                       ("EventName", "GetUser"), ("ReadOnly", "true"), ("EventSource", "iam.amazonaws.com"),
                       ("ResourceType", "AWS::IAM::User")):
        found = lookup(server, key, value, StartTime=datetime.now(UTC) - timedelta(minutes=5))
        assert event_id in [e["EventId"] for e in found], key
    assert event_id not in [e["EventId"] for e in lookup(server, "ReadOnly", "false")]
    assert event_id not in [e["EventId"] for e in lookup(server, "EventName", "ListUsers")]


def test_a_second_resource_is_found_too(server, iam, unique):
    """AttachUserPolicy names a user and a policy: either finds the event."""
    name = unique("att")
    iam.create_user(UserName=name)
    policy_arn = "arn:aws:iam::aws:policy/ReadOnlyAccess"
    iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
    [event] = [e for e in lookup(server, "ResourceName", name) if e["EventName"] == "AttachUserPolicy"]
    assert event["Resources"] == [{"ResourceType": "AWS::IAM::User", "ResourceName": name},
                                  {"ResourceType": "AWS::IAM::Policy", "ResourceName": policy_arn}]
    by_policy = lookup(server, "ResourceName", policy_arn, StartTime=datetime.now(UTC) - timedelta(minutes=5))
    assert event["EventId"] in [e["EventId"] for e in by_policy]


def test_newest_first_pages_and_time_range(server, iam, trail, unique):
    name = unique("pages")
    iam.create_user(UserName=name)
    for _ in range(4):
        iam.get_user(UserName=name)
    attribute = [{"AttributeKey": "ResourceName", "AttributeValue": name}]
    first = trail.lookup_events(LookupAttributes=attribute, MaxResults=2)
    assert len(first["Events"]) == 2 and first["NextToken"]
    second = trail.lookup_events(LookupAttributes=attribute, MaxResults=2, NextToken=first["NextToken"])
    third = trail.lookup_events(LookupAttributes=attribute, MaxResults=2, NextToken=second["NextToken"])
    events = first["Events"] + second["Events"] + third["Events"]
    assert "NextToken" not in third
    assert [e["EventName"] for e in events] == ["GetUser"] * 4 + ["CreateUser"]
    times = [e["EventTime"] for e in events]
    assert times == sorted(times, reverse=True)
    assert len({e["EventId"] for e in events}) == 5
    # A window that ended before the user existed finds nothing; one in the future nothing either.
    past = datetime.now(UTC) - timedelta(days=2)
    before = trail.lookup_events(LookupAttributes=attribute, StartTime=past - timedelta(days=1), EndTime=past)
    assert before["Events"] == []
    # The default window is 90 days: an explicit StartTime 91 days back still finds them all.
    old = trail.lookup_events(LookupAttributes=attribute, StartTime=datetime.now(UTC) - timedelta(days=91))
    assert len(old["Events"]) == 5


@pytest.mark.parametrize("args, code, status", [
    ({"LookupAttributes": [{"AttributeKey": "Username", "AttributeValue": "a"},
                           {"AttributeKey": "EventName", "AttributeValue": "b"}]},
     "InvalidLookupAttributesException", 400),
    ({"LookupAttributes": [{"AttributeKey": "Colour", "AttributeValue": "a"}]},
     "InvalidLookupAttributesException", 400),
    ({"LookupAttributes": [{"AttributeKey": "ReadOnly", "AttributeValue": "maybe"}]},
     "InvalidLookupAttributesException", 400),
    ({"StartTime": datetime(2026, 2, 1, tzinfo=UTC), "EndTime": datetime(2026, 1, 1, tzinfo=UTC)},
     "InvalidTimeRangeException", 400),
    ({"MaxResults": 51}, "InvalidMaxResultsException", 400),
    ({"NextToken": "bm90IGEgdG9rZW4="}, "InvalidNextTokenException", 400),
    ({"EventCategory": "management"}, "InvalidEventCategoryException", 400),
])
def test_bad_input_gets_cloudtrails_errors(trail, args, code, status):
    with pytest.raises(ClientError) as failed:
        trail.lookup_events(**args)
    assert error_of(failed)[0::2] == (code, status)


def test_a_token_is_bound_to_its_parameters(iam, trail, unique):
    name = unique("bound")
    iam.create_user(UserName=name)
    iam.get_user(UserName=name)
    page = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}],
                               MaxResults=1)
    with pytest.raises(ClientError) as failed:
        trail.lookup_events(LookupAttributes=[{"AttributeKey": "Username", "AttributeValue": "root"}],
                            MaxResults=1, NextToken=page["NextToken"])
    assert error_of(failed)[0] == "InvalidNextTokenException"


def test_lookup_is_authorized_as_cloudtrail_lookup_events(server, iam, new_user):
    name, key_id, secret = new_user()
    theirs = client(server, "cloudtrail", key_id, secret)
    with pytest.raises(ClientError) as refused:
        theirs.lookup_events(MaxResults=1)
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDeniedException", 400)
    assert "is not authorized to perform: cloudtrail:LookupEvents" in message
    iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "cloudtrail:LookupEvents", "Resource": "*"}))
    assert theirs.lookup_events(MaxResults=1)["Events"]
    # The refused lookup is an event itself, of CloudTrail's event source.
    mine = [record(e) for e in lookup(server, "Username", name) if e["EventName"] == "LookupEvents"]
    assert [r["eventSource"] for r in mine] == ["cloudtrail.amazonaws.com"] * 2
    assert sorted(r.get("errorCode", "") for r in mine) == ["", "AccessDenied"]


def test_the_aws_cli_looks_up_by_user_name(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="trail", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["cloudtrail:LookupEvents", "iam:ListUsers"], "Resource": "*"}))
    client(server, "iam", key_id, secret).list_users()
    out = aws_json(server, "cloudtrail", "lookup-events", "--lookup-attributes",
                   f"AttributeKey=Username,AttributeValue={name}", key_id=key_id, secret=secret)
    names = [e["EventName"] for e in out["Events"]]
    assert names == ["ListUsers"]  # the lookup itself is recorded after it has read
    assert all(e["Username"] == name for e in out["Events"])
    assert json.loads(out["Events"][-1]["CloudTrailEvent"])["userIdentity"]["userName"] == name


@pytest.mark.parametrize("target, body", [
    ("LookupEvents", b"{not json"),
    ("LookupEvents", b'["a list"]'),
    ("LookupEvents", b'{"LookupAttributes": "Username"}'),
    ("LookupEvents", b'{"LookupAttributes": ["x"]}'),
    ("LookupEvents", b'{"MaxResults": "ten"}'),
    ("LookupEvents", b'{"StartTime": "yesterday"}'),
    ("LookupEvents", b'{"NextToken": 5}'),
    ("CreateTrail", b"{}"),
])
def test_malformed_json_requests_get_4xx(server, target, body):
    """Raw requests botocore would never send: an AWS error, never a 5xx."""
    import urllib.request

    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest
    from botocore.credentials import Credentials

    from tests.api.server import ROOT_KEY_ID, ROOT_SECRET

    request = AWSRequest(method="POST", url=server.endpoint + "/", data=body, headers={
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": f"com.amazonaws.cloudtrail.v20131101.CloudTrail_20131101.{target}"})
    SigV4Auth(Credentials(ROOT_KEY_ID, ROOT_SECRET), "cloudtrail", "us-east-1").add_auth(request)
    prepared = request.prepare()
    raw = urllib.request.Request(prepared.url, data=body, headers=dict(prepared.headers), method="POST")
    try:
        urllib.request.urlopen(raw, timeout=10)
        status, answer = 200, {}
    except urllib.error.HTTPError as error:
        status, answer = error.code, json.loads(error.read())
    assert 400 <= status < 500, (status, answer)
    assert answer["__type"] in ("SerializationException", "ValidationException", "UnknownOperationException")


def test_access_analyzer_rejects_malformed_input(server):
    analyzer = client(server, "accessanalyzer")
    with pytest.raises(ClientError) as failed:
        analyzer.list_policy_generations(maxResults=5000)
    assert error_of(failed)[0::2] == ("ValidationException", 400)
