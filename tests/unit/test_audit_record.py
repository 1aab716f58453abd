"""audit/record.py writes a record's JSON text itself, field by field: it must be the JSON of the record
CloudTrail describes ("CloudTrail record contents", AWS CloudTrail User Guide), whatever the caller and
outcome, and the userIdentity it keeps per caller must follow the caller's changes."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from iamd.audit.record import Outcome, Transport, build
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
