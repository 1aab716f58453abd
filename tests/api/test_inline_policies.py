"""Inline user and group policies through boto3 and the aws CLI: documents kept as sent, size quotas
over all of an entity's inline policies, pagination, AWS's errors."""

import json
import urllib.parse
from xml.etree import ElementTree

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of, run_aws

ALLOW_LIST = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "*"}]}


def raises(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def document(resources: int) -> str:
    """A valid policy whose compact size grows with ``resources``."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": [f"arn:aws:s3:::bucket-{i:04d}/*" for i in range(resources)]}]}, separators=(",", ":"))


def compact_size(text: str) -> int:
    return sum(1 for char in text if not char.isspace())


# name of the holder parameter, create call, and the four operations, per kind of holder
KINDS = {
    "user": ("UserName", "create_user", "put_user_policy", "get_user_policy", "delete_user_policy",
             "list_user_policies"),
    "group": ("GroupName", "create_group", "put_group_policy", "get_group_policy", "delete_group_policy",
              "list_group_policies"),
}


@pytest.fixture(params=sorted(KINDS))
def holder(request, iam, unique):
    """(kind, holder name, params-maker, put, get, delete, list) for a fresh user or group."""
    param, create, put, get, remove, listing = KINDS[request.param]
    name = unique(request.param)
    getattr(iam, create)(**{param: name})
    ops = [getattr(iam, op) for op in (put, get, remove, listing)]
    return request.param, name, param, *ops


def test_put_get_list_delete(iam, holder):
    kind, name, param, put, get, remove, listing = holder
    put(**{param: name}, PolicyName="ReadS3", PolicyDocument=json.dumps(ALLOW_LIST))
    fetched = get(**{param: name}, PolicyName="ReadS3")
    assert fetched[param] == name and fetched["PolicyName"] == "ReadS3"
    assert fetched["PolicyDocument"] == ALLOW_LIST
    listed = listing(**{param: name})
    assert listed["PolicyNames"] == ["ReadS3"] and listed["IsTruncated"] is False
    remove(**{param: name}, PolicyName="ReadS3")
    assert listing(**{param: name})["PolicyNames"] == []
    assert raises(get, **{param: name}, PolicyName="ReadS3") == (
        "NoSuchEntity", f"The {kind} policy with name ReadS3 cannot be found.", 404)


def test_put_replaces_a_policy_of_the_same_name(iam, holder):
    kind, name, param, put, get, remove, listing = holder
    put(**{param: name}, PolicyName="p", PolicyDocument=json.dumps(ALLOW_LIST))
    replacement = {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": ["iam:*"], "Resource": "*"}}
    put(**{param: name}, PolicyName="p", PolicyDocument=json.dumps(replacement))
    assert get(**{param: name}, PolicyName="p")["PolicyDocument"] == replacement
    assert listing(**{param: name})["PolicyNames"] == ["p"]


def test_holder_name_is_matched_ignoring_case_and_returned_as_stored(iam, holder):
    kind, name, param, put, get, remove, listing = holder
    put(**{param: name.upper()}, PolicyName="p", PolicyDocument=json.dumps(ALLOW_LIST))
    assert get(**{param: name.upper()}, PolicyName="p")[param] == name


def test_names_are_sorted_and_paged(iam, holder):
    kind, name, param, put, get, remove, listing = holder
    policy_names = ["zeta", "alpha", "Mid", "beta", "gamma"]
    for policy_name in policy_names:
        put(**{param: name}, PolicyName=policy_name, PolicyDocument=json.dumps(ALLOW_LIST))
    expected = sorted(policy_names)
    first = listing(**{param: name}, MaxItems=2)
    assert first["PolicyNames"] == expected[:2] and first["IsTruncated"] is True
    second = listing(**{param: name}, MaxItems=2, Marker=first["Marker"])
    third = listing(**{param: name}, MaxItems=2, Marker=second["Marker"])
    assert second["PolicyNames"] + third["PolicyNames"] == expected[2:]
    assert third["IsTruncated"] is False and "Marker" not in third
    paginator = iam.get_paginator(listing.__name__)
    pages = paginator.paginate(**{param: name}, PaginationConfig={"PageSize": 3})
    assert [n for page in pages for n in page["PolicyNames"]] == expected


def test_missing_holder_and_missing_policy(iam, holder):
    kind, name, param, put, get, remove, listing = holder
    missing = f"The {kind} with name ghost-{kind} cannot be found."
    for call, extra in ((put, {"PolicyDocument": json.dumps(ALLOW_LIST)}), (get, {}), (remove, {})):
        assert raises(call, **{param: f"ghost-{kind}"}, PolicyName="p", **extra) == ("NoSuchEntity", missing, 404)
    assert raises(listing, **{param: f"ghost-{kind}"}) == ("NoSuchEntity", missing, 404)
    assert raises(remove, **{param: name}, PolicyName="never-put") == (
        "NoSuchEntity", f"The {kind} policy with name never-put cannot be found.", 404)


@pytest.mark.parametrize("text, message", [
    ("not json", "Syntax errors in policy."),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"},]}',
     "Syntax errors in policy."),
    # Without Version the version message does not come (inline policies need none): the next check speaks.
    ('{"Statement":[{"Effect":"denY","Action":"s3:*","Resource":"*"}]}', "The policy failed legacy parsing"),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Resource":"*"}]}',
     "Policy statement must contain actions."),
    ('{"Version":"2012-10-17","Statement":[{"Effect":"denY","Action":"s3:*","Resource":"*"}]}',
     "The policy failed legacy parsing"),
])
def test_invalid_documents_are_refused(iam, holder, text, message):
    kind, name, param, put, get, remove, listing = holder
    assert raises(put, **{param: name}, PolicyName="bad", PolicyDocument=text) == (
        "MalformedPolicyDocument", message, 400)
    assert listing(**{param: name})["PolicyNames"] == []


@pytest.mark.parametrize("kind, limit", [("user", 2048), ("group", 5120)])
def test_size_quota_counts_all_inline_policies_together(iam, unique, kind, limit):
    param, create, put, get, remove, listing = KINDS[kind]
    name = unique(kind)
    getattr(iam, create)(**{param: name})
    put, remove = getattr(iam, put), getattr(iam, remove)
    half = next(document(n) for n in range(1, 400) if compact_size(document(n)) > limit // 2)
    put(**{param: name}, PolicyName="first", PolicyDocument=half)
    assert raises(put, **{param: name}, PolicyName="second", PolicyDocument=half) == (
        "LimitExceeded", f"Maximum policy size of {limit} bytes exceeded for {kind} {name}", 409)
    put(**{param: name}, PolicyName="first", PolicyDocument=half)  # replacing does not count twice
    remove(**{param: name}, PolicyName="first")
    put(**{param: name}, PolicyName="second", PolicyDocument=half)


@pytest.mark.parametrize("kind, limit", [("user", 2048), ("group", 5120)])
def test_whitespace_does_not_count_towards_the_quota(iam, unique, kind, limit):
    param, create, put, *_ = KINDS[kind]
    name = unique(kind)
    getattr(iam, create)(**{param: name})
    fits = max((document(n) for n in range(1, 400) if compact_size(document(n)) <= limit), key=len)
    assert compact_size(fits) <= limit
    pretty = json.dumps(json.loads(fits), indent=8)
    assert len(pretty) > limit
    getattr(iam, put)(**{param: name}, PolicyName="pretty", PolicyDocument=pretty)


def test_document_is_stored_and_returned_exactly_as_sent(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    sent = ('{\n  "Version": "2012-10-17",\n  "Statement": {"Sid": "x1", "Effect": "Allow",'
            ' "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::b/k%3A\\u00e9 +&<>"}\n}')
    iam.put_user_policy(UserName=user, PolicyName="exact", PolicyDocument=sent)
    bodies = []
    iam.meta.events.register("after-call.iam.GetUserPolicy",
                             lambda http_response, **_: bodies.append(http_response.text))
    assert iam.get_user_policy(UserName=user, PolicyName="exact")["PolicyDocument"] == json.loads(sent)
    wire = ElementTree.fromstring(bodies[0]).find(".//{*}PolicyDocument").text
    assert "%" in wire and urllib.parse.unquote(wire) == sent


@pytest.mark.parametrize("version", [None, "2008-10-17"])
def test_inline_policies_need_no_version(server, iam, holder, version, new_user):
    """IAM User Guide, "IAM JSON policy elements: Version": 2008-10-17 (also what a policy without
    Version gets) is the earlier language, in which ${aws:username} is literal text. AWS refuses
    such documents for managed policies only (aws-recorded-errors.md, CreatePolicy rows 2 and 3)."""
    kind, name, param, put, get, remove, listing = holder
    head = f'"Version":"{version}",' if version else ""
    sent = ('{' + head + '"Statement":[{"Effect":"Allow","Action":"iam:GetUser",'
            '"Resource":"arn:aws:iam::*:user/${aws:username}"}]}')
    put(**{param: name}, PolicyName="old", PolicyDocument=sent)
    assert get(**{param: name}, PolicyName="old")["PolicyDocument"] == json.loads(sent)
    # Enforced with the 2008-10-17 rules: the variable is not substituted, so the user may not read itself.
    user, key_id, secret = new_user()
    if kind == "user":
        iam.put_user_policy(UserName=user, PolicyName="old", PolicyDocument=sent)
    else:
        iam.add_user_to_group(UserName=user, GroupName=name)
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam", key_id, secret).get_user()
    assert error_of(excinfo)[0] == "AccessDenied"


def test_user_with_inline_policy_cannot_be_deleted(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    iam.put_user_policy(UserName=user, PolicyName="p", PolicyDocument=json.dumps(ALLOW_LIST))
    assert raises(iam.delete_user, UserName=user) == (
        "DeleteConflict", "Cannot delete entity, must delete policies first.", 409)
    iam.delete_user_policy(UserName=user, PolicyName="p")
    iam.delete_user(UserName=user)


def test_policy_name_constraint(iam, unique):
    user = unique("u")
    iam.create_user(UserName=user)
    code, message, status = raises(iam.put_user_policy, UserName=user, PolicyName="has space",
                                   PolicyDocument=json.dumps(ALLOW_LIST))
    assert (code, status) == ("ValidationError", 400) and "policyName" in message


def test_inline_policies_through_the_aws_cli(server, unique):
    group = unique("g")
    aws_json(server, "iam", "create-group", "--group-name", group)
    aws_json(server, "iam", "put-group-policy", "--group-name", group, "--policy-name", "cli",
             "--policy-document", json.dumps(ALLOW_LIST))
    fetched = aws_json(server, "iam", "get-group-policy", "--group-name", group, "--policy-name", "cli")
    assert fetched == {"GroupName": group, "PolicyName": "cli", "PolicyDocument": ALLOW_LIST}
    assert aws_json(server, "iam", "list-group-policies", "--group-name", group)["PolicyNames"] == ["cli"]
    done = run_aws(server, "iam", "put-group-policy", "--group-name", group, "--policy-name", "bad",
                   "--policy-document", "not json")
    assert done.returncode != 0
    assert "MalformedPolicyDocument" in done.stderr and "Syntax errors in policy." in done.stderr
    aws_json(server, "iam", "delete-group-policy", "--group-name", group, "--policy-name", "cli")
    done = run_aws(server, "iam", "get-group-policy", "--group-name", group, "--policy-name", "cli")
    assert done.returncode != 0 and "The group policy with name cli cannot be found." in done.stderr
