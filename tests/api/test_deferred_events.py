"""Read-only calls' events wait in memory and are written in batches about once a second
(docs/audit.md, "In the request's own transaction ... except reads"); a change's event still commits
with its change.

What these tests pin: the background flush writes a read's event on its own, in order and with the
same record as before; a reader (LookupEvents) sees the server's own pending events at once; a
graceful stop (SIGTERM) writes what is pending. ``iamd events export`` reads the store from another
process, so it sees only what has been committed.

Source for the trade: CloudTrail itself "typically delivers logs within an average of about 5 minutes
of an API call. This time is not guaranteed." ("Getting and viewing your CloudTrail log files", AWS
CloudTrail User Guide).
"""

from __future__ import annotations

import json
import signal
import time

from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client
from tests.api.server import standard_server

# The fields a read-only IAM call's record has always had (test_events.py pins their values).
READ_FIELDS = {"eventVersion", "userIdentity", "eventTime", "eventSource", "eventName", "awsRegion",
               "sourceIPAddress", "userAgent", "requestParameters", "responseElements", "requestID", "eventID",
               "readOnly", "eventType", "managementEvent", "recipientAccountId", "eventCategory",
               "iamdAuthorization"}


def exported(server) -> list[dict]:
    """The committed events, read by another process (iamd events export), oldest first."""
    done = server.cli("events", "export", "--account-id", ACCOUNT_ID)
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def committed(server, request_ids: list[str], timeout: float = 15.0) -> dict[str, dict]:
    """Poll the store until every one of ``request_ids`` has its event; their records by request id."""
    deadline = time.monotonic() + timeout
    while True:
        found = {r["requestID"]: r for r in exported(server) if r.get("requestID") in request_ids}
        if len(found) == len(request_ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.3)


def test_read_events_reach_the_store_on_their_own_in_order(server, iam, unique):
    name = unique("deferred")
    calls = [iam.create_user(UserName=name), iam.get_user(UserName=name), iam.list_users(),
             client(server, "sts").get_caller_identity(), iam.get_user(UserName=name),
             iam.tag_user(UserName=name, Tags=[{"Key": "k", "Value": "v"}])]
    ids = [response["ResponseMetadata"]["RequestId"] for response in calls]
    # No LookupEvents here: only the background flush can put the reads' events in the store.
    found = committed(server, ids)
    assert sorted(found) == sorted(ids)
    records = [found[request_id] for request_id in ids]
    assert [r["eventName"] for r in records] == ["CreateUser", "GetUser", "ListUsers", "GetCallerIdentity",
                                                   "GetUser", "TagUser"]
    assert [r["readOnly"] for r in records] == [False, True, True, True, True, False]
    get_user = records[1]
    assert set(get_user) == READ_FIELDS
    assert get_user["requestParameters"] == {"userName": name}
    assert get_user["responseElements"] is None
    assert get_user["userIdentity"]["type"] == "Root"
    assert get_user["iamdAuthorization"]["decidedBy"] == "root user"
    # LookupEvents answers newest first, in the order the calls were made, with the same records.
    trail = client(server, "cloudtrail")
    events = trail.lookup_events(LookupAttributes=[{"AttributeKey": "ResourceName", "AttributeValue": name}])
    looked_up = [json.loads(e["CloudTrailEvent"]) for e in events["Events"]]
    assert [r["requestID"] for r in looked_up] == [ids[5], ids[4], ids[1], ids[0]]
    assert looked_up[2] == get_user


def test_a_reader_sees_the_servers_pending_events_at_once(tmp_path, database_url):
    running = standard_server(tmp_path, database_url)
    running.env_extra["IAMD_AUDIT_FLUSH_SECONDS"] = "3600"  # no background flush during the test
    running.start()
    try:
        iam = client(running, "iam")
        iam.create_user(UserName="watched")
        request_id = iam.get_user(UserName="watched")["ResponseMetadata"]["RequestId"]
        assert request_id not in {r.get("requestID") for r in exported(running)}  # still in memory
        events = client(running, "cloudtrail").lookup_events(
            LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "GetUser"}])["Events"]
        assert [json.loads(e["CloudTrailEvent"])["requestID"] for e in events] == [request_id]
        assert request_id in {r.get("requestID") for r in exported(running)}  # written by the reader's flush
    finally:
        running.stop()


def test_a_graceful_stop_writes_the_pending_events(tmp_path, database_url):
    running = standard_server(tmp_path, database_url)
    running.env_extra["IAMD_AUDIT_FLUSH_SECONDS"] = "3600"
    running.start()
    try:
        iam = client(running, "iam")
        created = iam.create_user(UserName="kept")["ResponseMetadata"]["RequestId"]
        reads = [iam.get_user(UserName="kept")["ResponseMetadata"]["RequestId"],
                 iam.list_users()["ResponseMetadata"]["RequestId"]]
        try:  # a failed read is recorded too, deferred like any read
            iam.get_user(UserName="nobody")
        except ClientError as error:
            reads.append(error.response["ResponseMetadata"]["RequestId"])
        before = {r.get("requestID") for r in exported(running)}
        assert created in before  # a change's event commits with the change
        assert not before & set(reads)  # the reads' wait in memory
    finally:
        running.stop()  # SIGTERM: uvicorn's graceful shutdown runs the app's lifespan end
    # uvicorn ends a graceful shutdown by raising the signal it caught again: -SIGTERM, not a kill.
    assert running.process.returncode in (0, -signal.SIGTERM), running.log_text()
    assert "Traceback" not in running.log_text()
    after = [r for r in exported(running) if r.get("requestID") in [created, *reads]]
    assert [r["requestID"] for r in after] == [created, *reads]
    assert [r["eventName"] for r in after] == ["CreateUser", "GetUser", "ListUsers", "GetUser"]
    assert after[-1]["errorCode"] == "NoSuchEntityException"
