"""audit/record.py writes a record's JSON text itself, field by field: it must be the JSON of the record
CloudTrail describes ("CloudTrail record contents", AWS CloudTrail User Guide), whatever the caller and
outcome, and the userIdentity it keeps per caller must follow the caller's changes."""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime
from itertools import product
from types import SimpleNamespace

from iamd.audit import record as audit_record
from iamd.audit.record import (
    Outcome,
    Transport,
    authorization,
    build,
    resources_of,
    time_of_id,
    time_ordered_id,
    user_identity,
)
from iamd.audit.redact import cloudtrail_value
from iamd.security.principal_kind import PrincipalKind
from iamd.security.session_tokens import SessionClaims
from iamd.service.context import Call, Principal

ACCOUNT = "123456789012"


def _user(name: str, user_id: str = "AIDAEXAMPLEUSER00001", path: str = "/") -> Principal:
    return Principal(kind=PrincipalKind.USER, account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user{path}{name}",
                     id=user_id, name=name, access_key_id="AKIAEXAMPLEKEY000001", user_id=user_id, path=path)


def _call(principal: Principal, **fields) -> Call:
    return Call(principal=principal, now=datetime.now(UTC), request_id="b1c2", env=None, source_ip="10.0.0.1",
                **fields)


def _record(call: Call, *args, **kwargs) -> dict:
    event = build(call, *args, **kwargs)
    assert isinstance(event.record, str)
    return json.loads(event.record)


def test_a_records_text_is_its_fields_as_json_with_strings_escaped():
    call = _call(_user("bob"), user_agent='aws-cli/2 "quoted" ü\n', secure_transport=True)
    record = _record(call, "iam", "GetUser", True, {"UserName": "bob", "Password": "never"},
                     Outcome(error_code="NoSuchEntityException", error_message="The user with name é cannot be found."),
                     Transport(host="iam.example:443"))
    assert record["userAgent"] == 'aws-cli/2 "quoted" ü\n'
    assert record["errorMessage"] == "The user with name é cannot be found."
    assert record["requestParameters"] == {"userName": "bob"}  # the password is never recorded
    assert record["tlsDetails"] == {"clientProvidedHostHeader": "iam.example:443"}
    assert list(record)[:3] == ["eventVersion", "userIdentity", "eventTime"]
    assert record["userIdentity"]["userName"] == "bob"
    assert record["readOnly"] is True and record["responseElements"] is None


def test_the_kept_user_identity_follows_a_renamed_or_recreated_user():
    before = _record(_call(_user("bob")), "iam", "GetUser", True, None, Outcome(), Transport())
    renamed = _record(_call(_user("robert", path="/staff/")), "iam", "GetUser", True, None, Outcome(), Transport())
    recreated = _record(_call(_user("bob", user_id="AIDAEXAMPLEUSER00002")), "iam", "GetUser", True, None,
                        Outcome(), Transport())
    assert before["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/bob"
    assert renamed["userIdentity"]["userName"] == "robert"
    assert renamed["userIdentity"]["arn"] == f"arn:aws:iam::{ACCOUNT}:user/staff/robert"
    assert recreated["userIdentity"]["principalId"] == "AIDAEXAMPLEUSER00002"


def test_a_sessions_identity_carries_its_own_creation_date():
    role = Principal(kind=PrincipalKind.ASSUMED_ROLE, account_id=ACCOUNT, id="AROAEXAMPLE:s", name="s",
                     arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", access_key_id="ASIAEXAMPLE")
    first, second = (SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.ASSUMED_ROLE, id=role.id, name="s",
                                   arn=role.arn, issued_at=issued, role_id="AROAEXAMPLE", role_name="r")
                     for issued in (1_700_000_000, 1_700_003_600))
    records = [_record(_call(role, session=claims, session_context={"aws:MultiFactorAuthPresent": "false"}),
                       "iam", "GetUser", True, None, Outcome(), Transport()) for claims in (first, second)]
    dates = [record["userIdentity"]["sessionContext"]["attributes"]["creationDate"] for record in records]
    assert dates == ["2023-11-14T22:13:20Z", "2023-11-14T23:13:20Z"]


def _reference(call: Call, service: str, name: str, read_only: bool, params, outcome: Outcome,
               transport: Transport, written: dict) -> str:
    """The record as a dict in CloudTrail's order, through json.dumps: what build's text must equal."""
    record: dict = {"eventVersion": "1.09", "userIdentity": user_identity(call, transport.console),
                    "eventTime": written["eventTime"], "eventSource": f"{service}.amazonaws.com", "eventName": name,
                    "awsRegion": call.region, "sourceIPAddress": call.source_ip, "userAgent": call.user_agent}
    if outcome.error_code:
        record.update(errorCode=outcome.error_code, errorMessage=outcome.error_message or "")
    kept = outcome.error_code is None and (not read_only or name == "AssumeRole")
    record.update(requestParameters=cloudtrail_value(params) if params else None,
                  responseElements=cloudtrail_value(outcome.result) if kept and outcome.result else None,
                  requestID=call.request_id, eventID=written["eventID"], readOnly=read_only, eventType="AwsApiCall",
                  managementEvent=True, recipientAccountId=call.account_id, eventCategory="Management")
    if call.secure_transport:
        tls = {"clientProvidedHostHeader": transport.host}
        if transport.tls_version:
            tls = {"tlsVersion": transport.tls_version, "cipherSuite": transport.cipher_suite, **tls}
        record["tlsDetails"] = tls
    if transport.console:
        record["sessionCredentialFromConsole"] = "true"
    record["iamdAuthorization"] = authorization(outcome, call.trail)
    return json.dumps(record, separators=(",", ":"), ensure_ascii=False)


def _callers() -> list[tuple[Principal, SessionClaims | None, dict]]:
    root = Principal(kind=PrincipalKind.ROOT, account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:root", id=ACCOUNT,
                     name=ACCOUNT, access_key_id="AKIAEXAMPLEROOT00001")
    role = Principal(kind=PrincipalKind.ASSUMED_ROLE, account_id=ACCOUNT, id="AROAEXAMPLE:s", name="s",
                     arn=f"arn:aws:sts::{ACCOUNT}:assumed-role/r/s", access_key_id="ASIAEXAMPLE", path="/p/")
    federated = Principal(kind=PrincipalKind.FEDERATED_USER, account_id=ACCOUNT, id=f"{ACCOUNT}:fed", name="fed",
                          arn=f"arn:aws:sts::{ACCOUNT}:federated-user/fed", access_key_id="ASIAEXAMPLEFED")
    claims = SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.ASSUMED_ROLE, id=role.id, name="s", arn=role.arn,
                           issued_at=1_700_000_000, role_id="AROAEXAMPLE", role_name="r", secret="never-recorded")
    mfa = {"aws:MultiFactorAuthPresent": "true"}
    return [(root, None, {}), (_user("bob"), None, {}), (_user("bob"), None, mfa),
            (_user("ü \"q\"", path="/a/"), None, {}), (role, claims, {}), (role, claims, mfa),
            (role, SessionClaims(**{**_fields(claims), "source_identity": "alice", "issued_at": 1_700_000_001}), {}),
            (federated, SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.FEDERATED_USER, id=federated.id,
                                      name="fed", arn=federated.arn, user_id="AIDAEXAMPLEUSER00001"), {}),
            (federated, SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.FEDERATED_USER, id=federated.id,
                                      name="fed", arn=federated.arn), {}),
            (_user("bob"), SessionClaims(account_id=ACCOUNT, kind=PrincipalKind.USER, id="AIDAEXAMPLEUSER00001",
                                         name="bob", arn=f"arn:aws:iam::{ACCOUNT}:user/bob",
                                         issued_at=1_700_000_002), {})]


def _fields(claims: SessionClaims) -> dict:
    return {name: getattr(claims, name) for name in claims.__dataclass_fields__}


def test_every_records_text_is_what_json_dumps_makes_of_its_fields():
    """Over callers, connections, outcomes, parameters and decisions, twice each (the second time from
    the texts build keeps): byte for byte json.dumps' text of the record's dict."""
    decision = SimpleNamespace(decision="allowed", matched=[SimpleNamespace(
        policy_id="ANPAEXAMPLE", policy_type="managed", sid="S\u00e9", effect="Allow", part="Action", start=(1, 2))])
    params_cases = [None, {}, {"UserName": "bob"}, {"UserName": "b\u00f6b\n", "Password": "never", "Path": "/"},
                    {"RoleArn": "arn", "DurationSeconds": 3600, "Tags": [{"Key": "k", "Value": "v"}], "Marker": None},
                    {"SecretAccessKey": "never"}]
    outcomes = [Outcome(decided_by="root user"), Outcome(),
                Outcome(error_code="AccessDenied", error_message="denied \"x\""),
                Outcome(error_code="NoSuchEntityException", error_message=None),
                Outcome(result={"User": {"UserName": "bob", "CreateDate": datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)},
                                "Credentials": {"SecretAccessKey": "never", "SessionToken": "never"}}),
                Outcome(decision=decision)]
    trails = [None, {}, {"decision": None},
              {"resource": "arn:aws:iam::1:user/b", "context": {"aws:SourceIp": "1.2.3.4"}},
              {"additional": [("iam:PassRole", "arn:r", {"iam:PassedToService": "ec2.amazonaws.com"})]},
              {"verified": {"arn": "x"}, "decisions": [{"decision": "allowed"}]}]
    transports = [Transport(), Transport(host="iam.example:443"),
                  Transport(host="h", tls_version="TLSv1.3", cipher_suite="TLS_AES_128_GCM_SHA256"),
                  Transport(console=True)]
    checked = 0
    for index, ((principal, session, context), params, outcome, transport, (name, read_only)) in enumerate(product(
            _callers(), params_cases, outcomes, transports,
            [("GetUser", True), ("CreateUser", False), ("AssumeRole", True)])):
        trail = trails[index % len(trails)]
        call = _call(principal, session=session, session_context=context, trail=trail, user_agent="cli/2 \"\u00fc\"",
                     secure_transport=bool(transport.host), region="eu-west-1")
        for _ in range(2):
            event = build(call, "iam", name, read_only, params, outcome, transport)
            assert event.record == _reference(call, "iam", name, read_only, params, outcome, transport,
                                              json.loads(event.record))
            assert "never" not in event.record
            checked += 1
    assert checked == 2 * 4_320


def _same_event(event, other) -> None:
    """Two events of one call: equal but for their id and time."""
    stamp = re.compile(r'"eventTime":"[^"]*"')
    assert (stamp.sub("", event.record.replace(event.event_id, "ID"))
            == stamp.sub("", other.record.replace(other.event_id, "ID")))
    for column in ("account_id", "event_source", "event_name", "username", "access_key_id", "read_only",
                   "principal_key", "error_code", "resources"):
        assert getattr(event, column) == getattr(other, column), column


def test_a_succeeded_calls_event_is_builds_event():
    """record.succeeded (the hooks' path, its decision in the call's trail) makes what build makes of
    the same call's Outcome, columns included, over callers, parameters, trails, decisions and
    connections, twice each (the second time from the kept shapes)."""
    decision = SimpleNamespace(decision="allowed", matched=[SimpleNamespace(
        policy_id="ANPAEXAMPLE", policy_type="managed", sid="S", effect="Allow", part="Action", start=(1, 2))])
    params_cases = [None, {}, {"UserName": "bob"}, {"UserName": ""}, {"UserName": "b", "Password": "never"},
                    {"RoleName": "r", "PolicyArn": "arn:p", "UserName": "u"}, {"PolicyArn": "arn:p", "RoleName": "r"},
                    {"RoleArn": "arn", "DurationSeconds": 3600, "Tags": [{"Key": "k", "Value": "v"}]}]
    results = [None, {"User": {"UserName": "bob", "CreateDate": datetime(2026, 11, 26, 1, 2, 3, tzinfo=UTC)},
                      "Credentials": {"SecretAccessKey": "never", "SessionToken": "never"}}]
    trails = [{}, {"decision": None}, {"decision": decision},
              {"decision": None, "resource": "arn:aws:iam::1:user/b", "context": {"aws:SourceIp": "1.2.3.4"}},
              {"verified": {"arn": "x"}, "decisions": [{"decision": "allowed"}]}]
    transports = [Transport(), Transport(host="iam.example:443"), Transport(console=True)]
    checked = 0
    for index, ((principal, session, context), params, result, trail, (service, name, read_only)) in enumerate(
            product(_callers(), params_cases, results, trails,
                    [("iam", "GetUser", True), ("iam", "CreateUser", False), ("sts", "AssumeRole", True),
                     ("iamd", "Authorize", True)])):
        transport, decided_by = transports[index % len(transports)], ["", "root user"][index // 3 % 2]
        call = _call(principal, session=session, session_context=context, trail=trail, user_agent="cli/2 \"\u00fc\"",
                     secure_transport=bool(transport.host), region="eu-west-1")
        for _ in range(2):
            event = audit_record.succeeded(call, service, name, read_only, params, result, decided_by, transport)
            _same_event(event, build(call, service, name, read_only, params,
                                     Outcome(result=result, decision=trail.get("decision"), decided_by=decided_by),
                                     transport))
            assert "never" not in event.record
            checked += 1
    assert checked == 2 * 10 * 8 * 2 * 5 * 4


def test_the_resources_written_with_the_parameters_are_resources_of_the_request():
    for params in [{"UserName": "bob"}, {"UserName": ""}, {"Path": "/"}, {"RoleName": "r", "PolicyArn": "arn:p"},
                   {"PolicyArn": "arn:p", "RoleName": "r", "UserName": "u"}, {"UserName": "u", "MaxItems": 5},
                   {"InstanceProfileName": "i", "RoleName": "r"}]:
        assert audit_record._parameters(params)[1] == resources_of(params)


def test_event_ids_are_version_7_uuids_of_their_millisecond_and_never_repeat():
    ids = [time_ordered_id(1_764_140_000_123 + index // 1000) for index in range(5000)]
    assert len(set(ids)) == 5000
    for event_id in ids[::499]:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", event_id)
        assert str(uuid.UUID(event_id)) == event_id and uuid.UUID(event_id).version == 7
    assert [time_of_id(event_id) for event_id in ids[::1000]] == [1_764_140_000_123 + k for k in range(5)]
    # All 74 random bits vary (12 after the version, 62 after the variant).
    bits = [uuid.UUID(event_id).int for event_id in ids]
    varying = 0
    for value in bits:
        varying |= value ^ bits[0]
    assert varying & ((1 << 74) - 1 | (0xFFF << 64)) == (0xFFF << 64) | ((1 << 62) - 1)


def _reference_value(value):
    """cloudtrail_value as it was written before its member names were kept."""
    if isinstance(value, dict):
        return {key[:1].lower() + key[1:]: _reference_value(item) for key, item in value.items()
                if key.lower() not in {"password", "secretaccesskey", "sessiontoken"} and item is not None}
    if isinstance(value, (list, tuple)):
        return [_reference_value(item) for item in value]
    if isinstance(value, datetime):
        return cloudtrail_value(value)
    return None if isinstance(value, bytes) else value


def test_cloudtrail_values_keep_their_shape_and_drop_secrets_wherever_they_are():
    values = [{"UserName": "bob", "Password": "never", "Tags": [{"Key": "k", "Value": "v"}], "Marker": None},
              {"Context": {"aws:SourceIp": "1.2.3.4", "password": "never", "Nested": {"SessionToken": "never"}}},
              {"Credentials": {"SecretAccessKey": "never", "Expiration": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
               "Blob": b"x", "Count": 3, "Flag": True, "Items": ("a", 1, None, [{"X": "y"}])}, ["a", {"B": "c"}], "s"]
    for value in values * 2:  # the second time from the kept names
        assert cloudtrail_value(value) == _reference_value(value)
        assert "never" not in json.dumps(cloudtrail_value(value), default=str)


def test_the_shape_found_by_the_principal_object_follows_a_renamed_or_recreated_user():
    """Over a plain connection a long-term key's shape is found by its Principal object (authentication
    keeps one per key and user): a user renamed, moved or re-created is another object, and an object
    freed and replaced by one at the same address never finds the other's identity."""
    from iamd.audit.record import PLAIN, succeeded

    def identity(principal):
        event = succeeded(_call(principal), "iam", "GetUser", True, {"UserName": "x"}, None, "", PLAIN)
        return json.loads(event.record)["userIdentity"]

    bob = _user("bob")
    assert identity(bob)["userName"] == "bob" and identity(bob) == identity(bob)
    assert identity(_user("robert", path="/staff/"))["arn"] == f"arn:aws:iam::{ACCOUNT}:user/staff/robert"
    assert identity(_user("bob", user_id="AIDAEXAMPLEUSER00002"))["principalId"] == "AIDAEXAMPLEUSER00002"
    for index in range(200):  # freed objects' addresses are reused: each new user is still itself
        assert identity(_user(f"user{index}", user_id=f"AIDAEXAMPLEUSER{index:05d}"))["userName"] == f"user{index}"


def test_a_one_member_requests_text_is_written_as_any_requests_and_never_a_secrets():
    """requestParameters of a request of one string member is written straight (audit/record.py): the
    same text and resources as the general way, a secret's member left out."""
    for params in [{"UserName": "bob"}, {"UserName": ""}, {"RoleName": 'q"\\\u2028é'}, {"Path": "/"},
                   {"Password": "hunter2-secret"}, {"NewPassword": "x"}, {"MaxItems": 5}, {"Marker": None}]:
        for _ in range(2):  # the member's name unknown, then known
            text, resources = audit_record._parameters(params)
            assert resources == resources_of(params)
            assert text == audit_record.JSON(cloudtrail_value(params))
    assert "hunter2-secret" not in repr(audit_record._MEMBERS)
