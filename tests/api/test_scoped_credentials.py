"""STS GetScopedCredentials: the caller's own session, narrower or shorter.

Sources: AWS STS API Reference, "GetScopedCredentials" (only temporary credentials may call it; Policy
or DurationSeconds, at least one; DurationSeconds 1 to 129,600 and never past the caller's expiry,
else InsufficientSessionLifetime; at most 3 scope-down layers, a fourth is denied; the identity is
kept) and "ScopedSession"; IAM User Guide, "Permissions for GetScopedCredentials" (the permissions
are the intersection of the calling session's and every scope-down policy in the chain).
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(*actions) -> dict:
    return {"Effect": "Allow", "Action": list(actions), "Resource": "*"}


def clients(server, credentials: dict) -> tuple:
    keys = (credentials["AccessKeyId"], credentials["SecretAccessKey"], credentials["SessionToken"])
    return client(server, "iam", *keys), client(server, "sts", *keys)


@pytest.fixture
def session(server, iam, new_user):
    """A user allowed a few things, and the temporary credentials of a GetSessionToken session."""
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="user", PolicyDocument=doc(
        allow("sts:GetScopedCredentials", "iam:ListUsers", "iam:GetUser", "iam:ListGroups")))
    credentials = client(server, "sts", key_id, secret).get_session_token(DurationSeconds=3600)["Credentials"]
    return name, credentials


def test_scoped_credentials_keep_the_identity_and_narrow_the_permissions(server, session):
    name, credentials = session
    _, sts = clients(server, credentials)
    response = sts.get_scoped_credentials(Policy=doc(allow("iam:ListUsers", "iam:DeleteUser")))
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    assert response["SessionInfo"]["Arn"] == arn
    assert response["ScopedPoliciesCount"] == 1
    assert response["SessionTokenSize"] == len(response["Credentials"]["SessionToken"])
    assert response["Credentials"]["AccessKeyId"].startswith("ASIA")
    assert response["Credentials"]["AccessKeyId"] != credentials["AccessKeyId"]
    assert response["Credentials"]["Expiration"] == credentials["Expiration"]   # inherited
    scoped_iam, scoped_sts = clients(server, response["Credentials"])
    assert scoped_sts.get_caller_identity()["Arn"] == arn
    scoped_iam.list_users(MaxItems=1)   # allowed by the user's policy and the scope
    with pytest.raises(ClientError) as raised:
        scoped_iam.get_user(UserName=name)   # the user may, the scope may not
    assert error_of(raised) == ("AccessDenied", f"User: {arn} is not authorized to perform: iam:GetUser on "
                                f"resource: {arn} because no session policy allows the iam:GetUser action", 403)
    with pytest.raises(ClientError) as raised:
        scoped_iam.delete_user(UserName="nobody-here")   # the scope may, the user may not: no widening
    assert "because no identity-based policy allows the iam:DeleteUser action" in error_of(raised)[1]
    clients(server, credentials)[0].get_user(UserName=name)   # the calling session is unchanged


def test_only_temporary_credentials_may_call_it(server, iam, sts, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="user", PolicyDocument=doc(allow("sts:GetScopedCredentials")))
    root_session = sts.get_session_token()["Credentials"]
    for caller in (client(server, "sts", key_id, secret), sts, clients(server, root_session)[1]):
        with pytest.raises(ClientError) as raised:
            caller.get_scoped_credentials(DurationSeconds=900)
        code, _, status = error_of(raised)
        assert (code, status) == ("InvalidSubjectCredentials", 400)


def test_policy_or_duration_is_required(server, session):
    with pytest.raises(ClientError) as raised:
        clients(server, session[1])[1].get_scoped_credentials()
    assert error_of(raised)[0::2] == ("ValidationError", 400)


def test_duration_shortens_but_never_extends(server, session):
    _, sts = clients(server, session[1])
    before = datetime.now(UTC).replace(microsecond=0)
    response = sts.get_scoped_credentials(DurationSeconds=900)
    expiration = response["Credentials"]["Expiration"]
    assert before + timedelta(seconds=899) <= expiration <= before + timedelta(seconds=902)
    assert response["ScopedPoliciesCount"] == 0   # no Policy, no layer
    with pytest.raises(ClientError) as raised:
        sts.get_scoped_credentials(DurationSeconds=7200)   # the session has an hour left
    assert error_of(raised)[0::2] == ("InsufficientSessionLifetime", 400)


def test_layers_intersect_and_stop_at_three(server, session):
    name, credentials = session
    _, sts = clients(server, credentials)
    first = sts.get_scoped_credentials(Policy=doc(allow("sts:GetScopedCredentials", "iam:ListUsers", "iam:ListGroups")))
    # The second layer allows GetUser, which the first does not: still refused.
    second = clients(server, first["Credentials"])[1].get_scoped_credentials(
        Policy=doc(allow("sts:GetScopedCredentials", "iam:ListUsers", "iam:GetUser")))
    assert second["ScopedPoliciesCount"] == 2
    second_iam, second_sts = clients(server, second["Credentials"])
    second_iam.list_users(MaxItems=1)
    for call in (lambda: second_iam.get_user(UserName=name), lambda: second_iam.list_groups()):
        with pytest.raises(ClientError) as raised:
            call()
        assert error_of(raised)[0] == "AccessDenied"
    third = second_sts.get_scoped_credentials(Policy=doc(allow("*")))
    assert third["ScopedPoliciesCount"] == 3
    third_sts = clients(server, third["Credentials"])[1]
    with pytest.raises(ClientError) as raised:
        third_sts.get_scoped_credentials(Policy=doc(allow("*")))   # a fourth layer
    assert error_of(raised)[0::2] == ("AccessDenied", 403)
    assert third_sts.get_scoped_credentials(DurationSeconds=60)["ScopedPoliciesCount"] == 3


def test_a_layer_without_the_action_stops_further_scoping(server, session):
    _, sts = clients(server, session[1])
    scoped = sts.get_scoped_credentials(Policy=doc(allow("iam:ListUsers")))
    with pytest.raises(ClientError) as raised:
        clients(server, scoped["Credentials"])[1].get_scoped_credentials(DurationSeconds=60)
    assert "because no session policy allows the sts:GetScopedCredentials action" in error_of(raised)[1]


def test_an_explicit_deny_in_the_scope(server, session):
    scoped = clients(server, session[1])[1].get_scoped_credentials(Policy=doc(
        allow("*"), {"Effect": "Deny", "Action": "iam:ListUsers", "Resource": "*"}))
    with pytest.raises(ClientError) as raised:
        clients(server, scoped["Credentials"])[0].list_users()
    assert "with an explicit deny in a session policy" in error_of(raised)[1]


def test_the_caller_needs_permission(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="user", PolicyDocument=doc(allow("iam:ListUsers")))
    credentials = client(server, "sts", key_id, secret).get_session_token()["Credentials"]
    with pytest.raises(ClientError) as raised:
        clients(server, credentials)[1].get_scoped_credentials(DurationSeconds=60)
    assert "because no identity-based policy allows the sts:GetScopedCredentials action" in error_of(raised)[1]


def test_malformed_scope_policy(server, session):
    with pytest.raises(ClientError) as raised:
        clients(server, session[1])[1].get_scoped_credentials(Policy="{not json")
    assert error_of(raised)[0::2] == ("MalformedPolicyDocument", 400)


def test_minimum_session_token_size(server, session):
    response = clients(server, session[1])[1].get_scoped_credentials(DurationSeconds=60, MinimumSessionTokenSize=4000)
    assert len(response["Credentials"]["SessionToken"]) >= 4000
    assert response["SessionTokenSize"] == len(response["Credentials"]["SessionToken"])
    clients(server, response["Credentials"])[0].list_users(MaxItems=1)   # the padded token still works


def test_revoking_the_session_revokes_its_scoped_credentials(server, iam, session):
    """Revoking by aws:TokenIssueTime (IAM User Guide, "Revoke the role's temporary security credentials")
    must catch scoped credentials too: they keep the issue time of the session they came from."""
    name, credentials = session
    time.sleep(1.2)   # scoped credentials issued a second later must not escape a cut-off between the two
    scoped = clients(server, credentials)[1].get_scoped_credentials(Policy=doc(allow("iam:ListUsers")))
    cutoff = (credentials["Expiration"] - timedelta(seconds=3600 - 1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    iam.put_user_policy(UserName=name, PolicyName="revoke", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"DateLessThan": {"aws:TokenIssueTime": cutoff}}}))
    with pytest.raises(ClientError) as raised:
        clients(server, scoped["Credentials"])[0].list_users()
    assert "with an explicit deny in an identity-based policy" in error_of(raised)[1]


def test_scoped_credentials_assume_a_role_only_if_the_scope_allows(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    role = unique("role")
    iam.create_role(RoleName=role, AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"},
         "Action": "sts:AssumeRole"}))
    iam.put_user_policy(UserName=name, PolicyName="user", PolicyDocument=doc(
        allow("sts:GetScopedCredentials", "sts:AssumeRole")))
    credentials = client(server, "sts", key_id, secret).get_session_token()["Credentials"]
    _, sts = clients(server, credentials)
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{role}"
    narrow = clients(server, sts.get_scoped_credentials(Policy=doc(allow("iam:ListUsers")))["Credentials"])[1]
    with pytest.raises(ClientError) as raised:
        narrow.assume_role(RoleArn=role_arn, RoleSessionName="scoped")
    assert error_of(raised)[0] == "AccessDenied"
    wide = clients(server, sts.get_scoped_credentials(Policy=doc(allow("sts:AssumeRole")))["Credentials"])[1]
    assumed = wide.assume_role(RoleArn=role_arn, RoleSessionName="scoped")["AssumedRoleUser"]
    assert assumed["Arn"].endswith(f"/{role}/scoped")
