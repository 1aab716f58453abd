"""web/authorization_audit.py writes a decision's requestParameters and its answers (iamdAuthorization's
"verified" and "decisions") as JSON text itself: every record must stay byte for byte what the record's
general encoder makes of the same values (``JSON(cloudtrail_value(...))`` and ``authorization``), on
awkward values too, and no secret the redaction drops may ever enter it."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from itertools import product
from typing import Any

from iamd.audit import record as audit_record
from iamd.audit.record import JSON, Outcome, Transport, build, resources_of
from iamd.audit.redact import cloudtrail_value
from iamd.security.principal_kind import PrincipalKind
from iamd.service.context import Call, Principal
from iamd.web.authorization_audit import outcome, recorded, recorded_params

ACCOUNT = "123456789012"
AWKWARD = ["", "orders:GetOrder", 'a "quoted" \\ back', "ünïcödé ✓ 𝄞", "ctl\x00\x01\n\t\x1f\x7f", "\u2028\u2029",
           "\ud800 lone surrogate", "arn:aws:orders:us-east-1:123456789012:order/o-1"]
SECRETS = {"SecretAccessKey": "never-1", "Password": "never-2", "SessionToken": "never-3", "securityToken": "never-4"}


def _params_cases() -> list[dict]:
    cases: list[dict] = [{}, {"Unknown": "x"}, {"Service": None}, {"Request": {}}, {"Request": "GET"},
                         {"Request": {"Method": 3, "Path": None, "Signature": "never-5", "Headers": {"a": "never-6"}}},
                         {"Request": {"Method": "GET", "Path": "/" + "p" * 3000,
                                      "QueryString": "X-Amz-Signature=never"}},
                         {"AccessKeyId": "AKIAEXAMPLE", "StringToSign": "never", "Signature": "never"},
                         {"AccessKeyId": ""}, {"AccessKeyId": 7}, {"ResourcePolicy": "never", "ResourceOwner": ACCOUNT}]
    for text in AWKWARD:
        cases.append({"Service": text, "PrincipalArn": text, "Actions": [text, "orders:GetOrder"],
                      "Resources": [text], "Context": {"aws:SourceIp": text, text: "v"},
                      "Request": {"Method": text, "Path": text}})
    contexts: list[Any] = [{}, {"aws:SourceIp": "10.0.0.1", "aws:MultiFactorAuthPresent": "true"}, dict(SECRETS),
                           {"aws:SourceIp": "10.0.0.1", **SECRETS}, {"Key": "a", "key": "b"}, {"key": "a", "Key": "b"},
                           {"aws:SourceIp": None, "n": 1, "b": True, "f": 1.5, "nan": float("nan")},
                           {"nested": {"SecretAccessKey": "never-7", "Keep": ["x", {"Password": "never-8"}]}},
                           {"list": ["a", "b"], "Tag": "t"}, ["not", "a", "dict"], "a string", 12, None]
    values: list[Any] = [[], ["a", None], ["a", 1], [{"Password": "never-9", "x": "y"}], {"Password": "never-10"},
                         True, 3, 2.5, None]
    for context, value in product(contexts, values):
        cases.append({"Service": "orders", "Actions": value, "Resources": ["arn:r"], "Context": context})
        cases.append({"PrincipalArn": value, "Resources": value, "Context": context, "AccessKeyId": "AKIA"})
    return cases


def test_the_recorded_parameters_text_is_the_general_encoders():
    """Twice each: the second time with the Context keys the first one taught recorded()."""
    checked = 0
    for params in _params_cases() * 2:
        kept = recorded_params(params)
        encoded = recorded(params)
        assert encoded.text == (JSON(cloudtrail_value(kept)) if kept else "null"), params
        assert encoded.resources == resources_of(kept), params
        assert "never" not in encoded.text
        checked += 1
    assert checked > 400


def _reference_outcome(result: dict) -> dict:
    """The trail's entries as they were made before (dicts for record.authorization)."""
    out: dict[str, Any] = {}
    if "Authenticated" in result:
        if result["Authenticated"]:
            principal = result.get("Principal") or {}
            out["verified"] = {"authenticated": True, "arn": principal.get("Arn"),
                               "accountId": principal.get("AccountId"),
                               "accessKeyId": principal.get("AccessKeyId")}
        else:
            out["verified"] = {"authenticated": False, "errorCode": (result.get("Error") or {}).get("Code")}
    elif isinstance(result.get("Principal"), dict):
        out["verified"] = {"arn": result["Principal"].get("Arn"), "accountId": result["Principal"].get("AccountId")}
    if "Results" in result:
        out["decisions"] = [{key: value for key, value in (("action", entry.get("Action")),
                                                           ("resource", entry.get("Resource")),
                                                           ("decision", entry.get("Decision")),
                                                           ("deniedBy", entry.get("DeniedBy"))) if value is not None}
                            for entry in result["Results"]]
    return out


def _results() -> list[dict]:
    results: list[dict] = [{}, {"Authenticated": False}, {"Authenticated": True},
                           {"Authenticated": False, "Error": {"Code": "SignatureDoesNotMatch"}},
                           {"Principal": "not a dict"}, {"Results": []}]
    for text in AWKWARD:
        principal = {"Arn": text, "AccountId": ACCOUNT, "AccessKeyId": None, "SecretAccessKey": "never"}
        entries = [{"Action": text, "Resource": text, "Decision": "allowed"},
                   {"Action": "orders:CancelOrder", "Resource": text, "Decision": "implicitDeny",
                    "DeniedBy": "IAM Policy", "MatchedStatements": [{"Sid": "never"}]},
                   {"Action": None, "Resource": 5, "Decision": True},
                   {"Action": text, "Resource": "r", "Decision": "explicitDeny", "DeniedBy": [text, 5]}]
        results += [{"Authenticated": True, "Principal": principal, "Results": entries},
                    {"Authenticated": False, "Error": {"Code": text}, "Results": entries[:1]},
                    {"Principal": {"Arn": text}, "Results": entries}]
    return results


def _call(trail: dict) -> Call:
    principal = Principal(kind=PrincipalKind.USER, account_id=ACCOUNT, arn=f"arn:aws:iam::{ACCOUNT}:user/svc",
                          id="AIDAEXAMPLEUSER00001", name="svc", access_key_id="AKIAEXAMPLEKEY000001",
                          user_id="AIDAEXAMPLEUSER00001", path="/")
    return Call(principal=principal, now=datetime.now(UTC), request_id="b1c2", env=None, source_ip="10.0.0.1",
                region="us-east-1", trail=trail)


def _same_text(event, other) -> None:
    assert (event.record.replace(event.event_id, "ID").split('"eventTime"')[1].split('"eventSource"')[1]
            == other.record.replace(other.event_id, "ID").split('"eventTime"')[1].split('"eventSource"')[1])
    assert event.resources == other.resources


def test_a_decisions_record_is_what_the_general_encoder_made_of_it():
    """The whole record, by record.succeeded and by build (a refused call), from the texts written here
    and from the dicts they replace, over parameters, answers and the caller's own decision."""
    decision = type("Decision", (), {"decision": "allowed", "matched": []})()
    checked = 0
    for params, result in zip(_params_cases(), _results() * 20, strict=False):
        for own in ({}, {"decision": None}, {"decision": decision}):
            old_trail, new_trail = {**own, **_reference_outcome(result)}, {**own, **outcome(result)}
            old, new = _call(old_trail), _call(new_trail)
            kept = recorded_params(params)
            for _ in range(2):
                _same_text(audit_record.succeeded(new, "iamd", "VerifyAndAuthorize", True, recorded(params), None,
                                                  "", Transport()),
                           audit_record.succeeded(old, "iamd", "VerifyAndAuthorize", True, kept, None, "",
                                                  Transport()))
                refused = Outcome(error_code="AccessDenied", error_message="no", decision=own.get("decision"))
                _same_text(build(new, "iamd", "Authorize", True, recorded(params), refused, Transport()),
                           build(old, "iamd", "Authorize", True, kept, refused, Transport()))
            text = audit_record.succeeded(new, "iamd", "Verify", True, recorded(params), None, "", Transport()).record
            assert "never" not in text
            json.loads(text)
            checked += 1
    assert checked > 600
