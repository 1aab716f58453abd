"""Constraint violations, worded exactly as AWS answered (see the team's shared/aws-recorded-errors.md)."""

from __future__ import annotations

import pytest

from iamd import errors
from iamd.protocol import constraints, decode, model

ARN = "arn:aws:iam::123456789012:policy/p"
DOC = '{"Version":"2012-10-17","Statement":[]}'
TAG_PATTERN = r"[\p{L}\p{Z}\p{N}_.:/=+\-@]+"


def tags(n, key="k", value="v"):
    form = {}
    for i in range(1, n + 1):
        form[f"Tags.member.{i}.Key"] = key if n == 1 else f"{key}{i}"
        form[f"Tags.member.{i}.Value"] = value
    return form


def tag_keys(*keys):
    return {f"TagKeys.member.{i}": k for i, k in enumerate(keys, 1)}


ONE = "1 validation error detected: "
UNTAG_COMPOSITE = (ONE + "Value at 'tagKeys' failed to satisfy constraint: Member must satisfy constraint: "
                   "[Member must have length less than or equal to 128, Member must have length greater than "
                   f"or equal to 1, Member must satisfy regular expression pattern: {TAG_PATTERN}, "
                   "Member must not be null]")

# (service, operation, form, exact message)
CASES = [
    ("iam", "CreatePolicy", {"PolicyName": "p", "PolicyDocument": DOC, **tags(51)},
     ONE + "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ("iam", "CreatePolicy", {"PolicyName": "p", "PolicyDocument": DOC, **tags(1, key="k" * 129)},
     ONE + "Value at 'tags.1.member.key' failed to satisfy constraint: "
           "Member must have length less than or equal to 128"),
    ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": DOC, **tags(1, value="v" * 257)},
     ONE + "Value at 'tags.1.member.value' failed to satisfy constraint: "
           "Member must have length less than or equal to 256"),
    ("iam", "TagRole", {"RoleName": "r", **tags(1, key="a!")},
     ONE + f"Value at 'tags.1.member.key' failed to satisfy constraint: "
           f"Member must satisfy regular expression pattern: {TAG_PATTERN}"),
    ("iam", "TagUser", {"UserName": "u", **tags(51)},
     ONE + "Value at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ("iam", "CreateVirtualMFADevice", {"VirtualMFADeviceName": "d", "Path": "/" + "a" * 511 + "/"},
     ONE + "Value at 'path' failed to satisfy constraint: Member must have length less than or equal to 512"),
    ("iam", "DeleteServiceSpecificCredential", {"ServiceSpecificCredentialId": "ACCA-1234-5678-9012-3456"},
     ONE + r"Value at 'serviceSpecificCredentialId' failed to satisfy constraint: "
           r"Member must satisfy regular expression pattern: [\w]+"),
    ("iam", "GetPolicyVersion", {"PolicyArn": ARN, "VersionId": "v2-does-not-exist"},
     ONE + r"Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression "
           r"pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"),
    ("iam", "DeletePolicyVersion", {"PolicyArn": ARN, "VersionId": "wrong_version_id"},
     ONE + r"Value at 'versionId' failed to satisfy constraint: Member must satisfy regular expression "
           r"pattern: v[1-9][0-9]*(\.[A-Za-z0-9-]*)?"),
    ("iam", "UntagPolicy", {"PolicyArn": ARN, **tag_keys(*[f"k{i}" for i in range(51)])},
     ONE + "Value at 'tagKeys' failed to satisfy constraint: Member must have length less than or equal to 50"),
    ("iam", "UntagPolicy", {"PolicyArn": ARN, **tag_keys("ok", "k" * 129)}, UNTAG_COMPOSITE),
    ("iam", "UntagRole", {"RoleName": "r", **tag_keys("bad!")}, UNTAG_COMPOSITE),
    ("iam", "UpdateAccessKey", {"AccessKeyId": "AKIAIOSFODNN7EXAMPLE", "Status": "Invalid"},
     ONE + "Value at 'status' failed to satisfy constraint: Member must satisfy enum value set"),
    ("iam", "UpdateAccountPasswordPolicy",
     {"MaxPasswordAge": "1096", "MinimumPasswordLength": "129", "PasswordReusePrevention": "25"},
     "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member "
     "must have value less than or equal to 128; Value at 'passwordReusePrevention' failed to satisfy "
     "constraint: Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to "
     "satisfy constraint: Member must have value less than or equal to 1095"),
    ("iam", "CreateOpenIDConnectProvider",
     {"Url": "https://" + "a" * 248, "ThumbprintList.member.1": "a" * 41, "ClientIDList.member.1": "c" * 256},
     "3 validation errors detected: Value at 'clientIDList' failed to satisfy constraint: Member must "
     "satisfy constraint: [Member must have length less than or equal to 255, Member must have length "
     "greater than or equal to 1]; Value at 'thumbprintList' failed to satisfy constraint: Member must "
     "satisfy constraint: [Member must have length less than or equal to 40, Member must have length "
     "greater than or equal to 40]; Value at 'url' failed to satisfy constraint: Member must have length "
     "less than or equal to 255"),
    ("iam", "DeleteUser", {},
     ONE + "Value null at 'userName' failed to satisfy constraint: Member must not be null"),
    ("iam", "CreateRole", {"RoleName": "r", "AssumeRolePolicyDocument": DOC, "Tags.member.1.Key": "k"},
     ONE + "Value null at 'tags.1.member.value' failed to satisfy constraint: Member must not be null"),
    ("iam", "CreateUser", {"UserName": "a" * 65},
     ONE + "Value at 'userName' failed to satisfy constraint: Member must have length less than or equal to 64"),
    ("sts", "AssumeRole", {"RoleArn": "arn:a:b:::something/test-role", "RoleSessionName": "Session1:2"},
     ONE + r"Value 'Session1:2' at 'roleSessionName' failed to satisfy constraint: Member must satisfy "
           r"regular expression pattern: [\w+=,.@-]*"),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "s" * 65},
     ONE + f"Value '{'s' * 65}' at 'roleSessionName' failed to satisfy constraint: Member must have length "
           "less than or equal to 64"),
    ("sts", "GetFederationToken", {"Name": "bob", "Policy": "x" * 2049},
     ONE + f"Value '{'x' * 2049}' at 'policy' failed to satisfy constraint: Member must have length less "
           "than or equal to 2048"),
    ("sts", "AssumeRole", {"RoleSessionName": "s"},
     "2 validation errors detected: Value null at 'roleArn' failed to satisfy constraint: Member must not "
     "be null; Value 's' at 'roleSessionName' failed to satisfy constraint: Member must have length "
     "greater than or equal to 2"),
    ("sts", "AssumeRole", {"RoleArn": "arn:aws:iam::123456789012:role/r", "RoleSessionName": "ss",
                           "DurationSeconds": "100"},
     ONE + "Value '100' at 'durationSeconds' failed to satisfy constraint: Member must have value greater "
           "than or equal to 900"),
    # wrong scalar types: our wording (AWS's is not recorded), still one ValidationError
    ("iam", "ListUsers", {"MaxItems": "abc"},
     ONE + "Value at 'maxItems' failed to satisfy constraint: Member must be an integer"),
    ("iam", "ListUsers", {"MaxItems": "99999999999"},
     ONE + "Value at 'maxItems' failed to satisfy constraint: Member must be an integer"),
    ("iam", "UpdateAccountPasswordPolicy", {"RequireSymbols": "maybe"},
     ONE + "Value at 'requireSymbols' failed to satisfy constraint: Member must be a boolean (true or false)"),
    ("sts", "GetSessionToken", {"DurationSeconds": "1.5"},
     ONE + "Value '1.5' at 'durationSeconds' failed to satisfy constraint: Member must be an integer"),
]


@pytest.mark.parametrize("service,name,form,expected", CASES, ids=[f"{c[1]}-{i}" for i, c in enumerate(CASES)])
def test_violation_message(service, name, form, expected):
    operation = model.operation_model(service, name)
    with pytest.raises(errors.ValidationError) as caught:
        decode.decode_params(operation, {"Action": name, **form})
    assert caught.value.message == expected
    assert (caught.value.code, caught.value.status) == ("ValidationError", 400)


@pytest.mark.parametrize("value", ["ключ", "日本語", "a b", "k_.:/=+-@", "x" * 128])
def test_unicode_tag_keys_accepted(value):
    operation = model.operation_model("iam", "TagUser")
    assert decode.decode_params(operation, {"UserName": "u", "Tags.member.1.Key": value,
                                            "Tags.member.1.Value": ""})["Tags"] == [{"Key": value, "Value": ""}]


@pytest.mark.parametrize("pattern,good,bad", [
    (r"[\w+=,.@-]+", ["a_b+c=d,e.f@g-h"], ["é", "a:b", ""]),
    (r"\d{12}", ["123456789012"], ["12345678901", "١٢٣٤٥٦٧٨٩٠١٢"]),
    (r"[\u0009\u000A\u000D\u0020-\u007E\u0085\u00A0-\uD7FF\uE000-\uFFFD\u10000-\u10FFFF]+",
     ["a\U0001F600", "\t\n"], ["\x00", "\x1f"]),
    (r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", ["a-b"], ["a--b", "ab\n"]),
])
def test_java_patterns(pattern, good, bad):
    rx = constraints.java_pattern(pattern)
    assert all(rx.fullmatch(v) for v in good)
    assert not any(rx.fullmatch(v) for v in bad)


def test_check_constraints_on_params():
    operation = model.operation_model("iam", "CreateUser")
    constraints.check_constraints(operation, {"UserName": "ok"})
    with pytest.raises(errors.ValidationError, match="'userName'"):
        constraints.check_constraints(operation, {"UserName": ""})
    assert constraints.violations(operation, {"UserName": "ok", "Path": "no-slash"}) == [
        "Value at 'path' failed to satisfy constraint: Member must satisfy regular expression pattern: "
        r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"]


_SAMPLES = ["", "a", "user000123", "a_b+c=d,e.f@g-h", "/path/to/", "/", "//", "arn:aws:iam::123456789012:user/x",
            "é", "日本", "\U0001F600", "a\U0001F600", " ", "a b", "\t\n\r", "\x00", "\x1f", "\x7f", "\x85",
            "\u00a0", "\ud7ff", "\ue000", "\ufffd", "ab\n", "a--b", "a-b", "1" * 12, "١٢٣", "x" * 300,
            "{}", "Key=Value", "+=,.@-_:", "%41", "<&>", "'\"", "a\\b", "ACCT" * 20]


def test_every_model_pattern_matches_alike_by_re_and_by_regex():
    """java_pattern compiles by re when re takes a pattern: for each of the models' patterns, re's
    answers are the regex package's (which had compiled every one before)."""
    import re

    import regex

    patterns = {shape.metadata["pattern"] for service in model.SERVICES
                for shape in map(model.service_model(service).shape_for, model.service_model(service).shape_names)
                if "pattern" in shape.metadata}
    by_re = 0
    for pattern in patterns:
        compiled = constraints.java_pattern(pattern)
        reference = regex.compile(constraints._translated(pattern))
        assert [bool(compiled.fullmatch(v)) for v in _SAMPLES] == [bool(reference.fullmatch(v)) for v in _SAMPLES]
        by_re += isinstance(compiled, re.Pattern)
    assert by_re >= len(patterns) - 4  # the \p{L} ones stay with regex
    assert isinstance(constraints.java_pattern(r"[\p{L}]+"), regex.Pattern)


def test_remembered_valid_values_do_not_hide_violations():
    """A string's checker remembers values that passed (by value): the same name passes again, a bad one
    is still reported every time, and what is remembered stays bounded."""
    operation = model.operation_model("iam", "GetUser")
    constraints.check_constraints(operation, {"UserName": "alice"})
    constraints.check_constraints(operation, {"UserName": "alice"})
    for _ in range(2):
        with pytest.raises(errors.ValidationError) as caught:
            constraints.check_constraints(operation, {"UserName": "al ice"})
        assert "Member must satisfy regular expression pattern" in caught.value.message
    for i in range(constraints._REMEMBERED_VALUES * 2 + 5):
        constraints.check_constraints(operation, {"UserName": f"user{i}"})
    with pytest.raises(errors.ValidationError):
        constraints.check_constraints(operation, {"UserName": "x" * 200})
    with pytest.raises(errors.ValidationError):
        constraints.check_constraints(operation, {"UserName": ""})


def test_remembered_values_are_bounded():
    calls = []
    checker = constraints._remembering_check([(lambda v: calls.append(v) or v == "bad", "text")], False)
    for i in range(constraints._REMEMBERED_VALUES * 2 + 5):
        checker(f"v{i}", "p", [])
    checker("y" * (constraints._REMEMBERED_LENGTH + 1), "p", [])
    assert 0 < len(checker.passed) <= constraints._REMEMBERED_VALUES
    assert "y" * (constraints._REMEMBERED_LENGTH + 1) not in checker.passed
    calls.clear()
    checker("v2049", "p", [])  # remembered: the rules are not run again
    assert calls == []
    out: list = []
    checker("bad", "p", out)
    checker("bad", "p", out)
    assert [problem.message for problem in out] == ["Value at 'p' failed to satisfy constraint: text"] * 2


def test_sensitive_values_are_never_remembered():
    """A password passes its checks like any string but is not kept in the remembered values."""
    operation = model.operation_model("iam", "CreateLoginProfile")
    password = operation.input_shape.members["Password"]
    assert password.metadata.get("sensitive")
    checker = constraints._compile_scalar(password, True)
    assert checker is not None and not hasattr(checker, "passed")
    out: list = []
    checker("correct horse battery", "Password", out)
    assert out == []
    checker("", "Password", out)
    assert out and all("correct horse" not in problem.message for problem in out)
    constraints.check_constraints(operation, {"UserName": "alice", "Password": "correct horse battery"})


def test_member_path_text():
    """A member's path is kept as (parent, index, rest) until a problem names it; its text is AWS's."""
    path_text = constraints.path_text
    assert path_text("userName") == "userName"
    assert path_text(("tags", 2, ".member")) == "tags.2.member"
    assert path_text((("tags", 2, ".member"), None, ".key")) == "tags.2.member.key"
    assert path_text(((("a", None, ".b"), 1, ".value"), None, ".c")) == "a.b.1.value.c"
