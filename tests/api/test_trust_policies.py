"""A role's trust policy must allow the caller, even one of the role's own account.

AWS sources:
- IAM User Guide, "Policy evaluation logic" / "How AWS enforcement code logic evaluates requests to
  allow or deny access" (resource-based policies): for most resources an Allow in either an identity
  or a resource-based policy is enough in one account; "IAM role trust policies and KMS key policies
  are exceptions", they must explicitly allow the principal.
- IAM User Guide, "Cross-account policy evaluation logic": across accounts both the trust policy and
  the caller's identity policies must allow.
- IAM User Guide, "Grant a user permissions to switch roles": a trust policy naming the account
  (root) lets that account's administrators grant sts:AssumeRole through identity policies.
- IAM User Guide, "Update a role trust policy" (notes): a user named in the trust policy still needs
  a permissions boundary that allows sts:AssumeRole.
- IAM User Guide, "AWS JSON policy elements: Principal" (IAM role principals, IAM user principals): the
  ARN of a user or role in a trust policy is transformed to its unique id when the policy is saved; a
  deleted and re-created namesake is not trusted, and the policy then shows the unique id. Naming a
  user or role that does not exist: MalformedPolicyDocument 'Invalid principal in policy: "AWS":"<arn>"'
  (the message as AWS words it in many public reports, e.g. terraform-provider-aws#8905).
- IAM User Guide, "Pass session tags in AWS STS" (permissions required to add session tags): the trust
  policy must allow sts:TagSession; "Monitor and control actions taken with assumed roles": passing a
  source identity needs sts:SetSourceIdentity; the sts:ExternalId, sts:SourceIdentity and
  aws:MultiFactorAuthPresent condition keys (IAM and STS condition context keys).
"""

from __future__ import annotations

import json
import time

import pyotp
import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, client, error_of, run_aws

ROOT = f"arn:aws:iam::{ACCOUNT_ID}:root"
ALL_STS = {"Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"],
           "Resource": "*"}


def doc(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(principal, actions=("sts:AssumeRole",), effect="Allow", **condition) -> dict:
    statement = {"Effect": effect, "Principal": principal, "Action": list(actions)}
    if condition:
        statement["Condition"] = condition
    return statement


def refusal(caller_arn: str, action: str, role_arn: str) -> tuple:
    return ("AccessDenied", f"User: {caller_arn} is not authorized to perform: {action} on resource: {role_arn}", 403)


def test_reproduction_with_the_aws_cli(server, iam, new_user, unique):
    """Issue #10: a user allowed sts:AssumeRole on * took a role that trusts only ec2.amazonaws.com."""
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="a", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    role = iam.create_role(RoleName=unique("ec2only"), AssumeRolePolicyDocument=doc(
        allow({"Service": "ec2.amazonaws.com"})))["Role"]
    done = run_aws(server, "sts", "assume-role", "--role-arn", role["Arn"], "--role-session-name", "s1",
                   key_id=key_id, secret=secret)
    assert done.returncode != 0 and not done.stdout.strip()
    assert ("An error occurred (AccessDenied) when calling the AssumeRole operation: User: "
            f"arn:aws:iam::{ACCOUNT_ID}:user/{name} is not authorized to perform: sts:AssumeRole on resource: "
            f"{role['Arn']}") in done.stderr


# (id, trust statements given the caller's ARN, whether the caller's own policy allows sts:*, AssumeRole
#  arguments, the action refused or None when the role is taken)
CASES = [
    ("service only, identity allows", lambda me: [allow({"Service": "ec2.amazonaws.com"})], True, {},
     "sts:AssumeRole"),
    ("another user named, identity allows", lambda me: [allow({"AWS": me + "-other"})], True, {}, "sts:AssumeRole"),
    ("caller named, no identity policy", lambda me: [allow({"AWS": me})], False, {}, None),
    ("account root named, no identity policy", lambda me: [allow({"AWS": ROOT})], False, {}, "sts:AssumeRole"),
    ("account root named, identity allows", lambda me: [allow({"AWS": ROOT})], True, {}, None),
    ("account id named, identity allows", lambda me: [allow({"AWS": ACCOUNT_ID})], True, {}, None),
    ("explicit deny in the trust", lambda me: [allow({"AWS": me}), allow({"AWS": me}, effect="Deny")], True, {},
     "sts:AssumeRole"),
    ("external id absent", lambda me: [allow({"AWS": ROOT}, StringEquals={"sts:ExternalId": "ex-7"})], True, {},
     "sts:AssumeRole"),
    ("external id wrong", lambda me: [allow({"AWS": ROOT}, StringEquals={"sts:ExternalId": "ex-7"})], True,
     {"ExternalId": "ex-8"}, "sts:AssumeRole"),
    ("external id right", lambda me: [allow({"AWS": ROOT}, StringEquals={"sts:ExternalId": "ex-7"})], True,
     {"ExternalId": "ex-7"}, None),
    ("external id right, caller named", lambda me: [allow({"AWS": me}, StringEquals={"sts:ExternalId": "ex-7"})],
     False, {"ExternalId": "ex-7"}, None),
    ("source identity required, absent",
     lambda me: [allow({"AWS": me}, ("sts:AssumeRole", "sts:SetSourceIdentity"),
                       StringEquals={"sts:SourceIdentity": "alice"})], True, {}, "sts:AssumeRole"),
    ("source identity required, wrong",
     lambda me: [allow({"AWS": me}, ("sts:AssumeRole", "sts:SetSourceIdentity"),
                       StringEquals={"sts:SourceIdentity": "alice"})], True, {"SourceIdentity": "bob"},
     "sts:AssumeRole"),
    ("source identity required, right",
     lambda me: [allow({"AWS": me}, ("sts:AssumeRole", "sts:SetSourceIdentity"),
                       StringEquals={"sts:SourceIdentity": "alice"})], False, {"SourceIdentity": "alice"}, None),
    ("source identity without sts:SetSourceIdentity in the trust", lambda me: [allow({"AWS": me})], True,
     {"SourceIdentity": "alice"}, "sts:SetSourceIdentity"),
    ("session tags without sts:TagSession in the trust", lambda me: [allow({"AWS": me})], True,
     {"Tags": [{"Key": "team", "Value": "blue"}]}, "sts:TagSession"),
    ("session tags, account root trusted for sts:TagSession, identity allows",
     lambda me: [allow({"AWS": ROOT}, ("sts:AssumeRole", "sts:TagSession"))], True,
     {"Tags": [{"Key": "team", "Value": "blue"}]}, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_trust_policy_combinations(server, iam, new_user, unique, case):
    _id, statements, identity_allows, arguments, refused = case
    name, key_id, secret = new_user()
    me = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    if identity_allows:
        iam.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=doc(ALL_STS))
    if _id.startswith("another user"):
        iam.create_user(UserName=f"{name}-other")  # a trust policy can name only a user that exists
    role = iam.create_role(RoleName=unique("trust"), AssumeRolePolicyDocument=doc(*statements(me)))["Role"]
    sts = client(server, "sts", key_id, secret)
    if refused is None:
        response = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", **arguments)
        assert response["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{role['RoleName']}/s1"
        return
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", **arguments)
    assert error_of(excinfo) == refusal(me, refused, role["Arn"])


def test_the_callers_boundary_limits_a_trust_naming_it(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    me = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    role = iam.create_role(RoleName=unique("bounded"), AssumeRolePolicyDocument=doc(allow({"AWS": me})))["Role"]
    iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary="arn:aws:iam::aws:policy/IAMReadOnlyAccess")
    sts = client(server, "sts", key_id, secret)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(excinfo) == refusal(me, "sts:AssumeRole", role["Arn"])
    iam.delete_user_permissions_boundary(UserName=name)
    sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")


def test_a_trust_naming_the_role_of_the_calling_session(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    first = iam.create_role(RoleName=unique("first"), AssumeRolePolicyDocument=doc(
        allow({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"})))["Role"]
    named = iam.create_role(RoleName=unique("named"),
                            AssumeRolePolicyDocument=doc(allow({"AWS": first["Arn"]})))["Role"]
    by_account = iam.create_role(RoleName=unique("acct"), AssumeRolePolicyDocument=doc(allow({"AWS": ROOT})))["Role"]
    credentials = client(server, "sts", key_id, secret).assume_role(RoleArn=first["Arn"], RoleSessionName="one")
    session = client(server, "sts", *(credentials["Credentials"][k] for k in
                                      ("AccessKeyId", "SecretAccessKey", "SessionToken")))
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{first['RoleName']}/one"
    # The first role has no policy at all: the trust naming it is enough, one naming the account is not.
    session.assume_role(RoleArn=named["Arn"], RoleSessionName="two")
    with pytest.raises(ClientError) as excinfo:
        session.assume_role(RoleArn=by_account["Arn"], RoleSessionName="two")
    assert error_of(excinfo) == refusal(session_arn, "sts:AssumeRole", by_account["Arn"])


def test_mfa_condition_in_the_trust(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    me = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    iam.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=doc(ALL_STS))
    role = iam.create_role(RoleName=unique("mfa"), AssumeRolePolicyDocument=doc(
        allow({"AWS": ROOT}, Bool={"aws:MultiFactorAuthPresent": "true"})))["Role"]
    device = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("mfa"))["VirtualMFADevice"]
    serial, otp = device["SerialNumber"], pyotp.TOTP(device["Base32StringSeed"].decode())
    step = int(time.time() // 30)
    iam.enable_mfa_device(UserName=name, SerialNumber=serial, AuthenticationCode1=otp.generate_otp(step - 2),
                          AuthenticationCode2=otp.generate_otp(step - 1))
    sts = client(server, "sts", key_id, secret)
    with pytest.raises(ClientError) as excinfo:
        sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1")
    assert error_of(excinfo) == refusal(me, "sts:AssumeRole", role["Arn"])
    response = sts.assume_role(RoleArn=role["Arn"], RoleSessionName="s1", SerialNumber=serial,
                               TokenCode=otp.generate_otp(int(time.time() // 30)))
    assert response["AssumedRoleUser"]["Arn"].endswith(f"/{role['RoleName']}/s1")


def test_a_caller_of_another_account_needs_both_sides(server, iam, new_account, unique):
    other = new_account()
    b = other["account_id"]
    iam_b = client(server, "iam", other["aws_access_key_id"], other["aws_secret_access_key"])
    name = unique("bob")
    iam_b.create_user(UserName=name)
    key = iam_b.create_access_key(UserName=name)["AccessKey"]
    bob = f"arn:aws:iam::{b}:user/{name}"
    sts_b = client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"])
    names_bob = iam.create_role(RoleName=unique("xbob"), AssumeRolePolicyDocument=doc(allow({"AWS": bob})))["Role"]
    names_a = iam.create_role(RoleName=unique("xa"), AssumeRolePolicyDocument=doc(allow({"AWS": ROOT})))["Role"]
    # The trust names bob, but bob's account has not allowed him sts:AssumeRole.
    with pytest.raises(ClientError) as excinfo:
        sts_b.assume_role(RoleArn=names_bob["Arn"], RoleSessionName="xx")
    assert error_of(excinfo) == refusal(bob, "sts:AssumeRole", names_bob["Arn"])
    iam_b.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=doc(ALL_STS))
    # Bob's account allows him, but this trust names only the role's own account.
    with pytest.raises(ClientError) as excinfo:
        sts_b.assume_role(RoleArn=names_a["Arn"], RoleSessionName="xx")
    assert error_of(excinfo) == refusal(bob, "sts:AssumeRole", names_a["Arn"])
    taken = sts_b.assume_role(RoleArn=names_bob["Arn"], RoleSessionName="xx")
    assert taken["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{names_bob['RoleName']}/xx"


def test_a_trust_policy_names_only_principals_that_exist(server, iam, unique):
    ghost = f"arn:aws:iam::{ACCOUNT_ID}:user/{unique('ghost')}"
    with pytest.raises(ClientError) as excinfo:
        iam.create_role(RoleName=unique("ghosted"), AssumeRolePolicyDocument=doc(allow({"AWS": ghost})))
    assert error_of(excinfo) == ("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{ghost}"', 400)
    role = iam.create_role(RoleName=unique("ok"), AssumeRolePolicyDocument=doc(allow({"AWS": ROOT})))["Role"]
    ghost_role = f"arn:aws:iam::{ACCOUNT_ID}:role/{unique('ghost')}"
    with pytest.raises(ClientError) as excinfo:
        iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=doc(allow({"AWS": [ROOT, ghost_role]})))
    assert error_of(excinfo) == ("MalformedPolicyDocument", f'Invalid principal in policy: "AWS":"{ghost_role}"', 400)
    # Nothing was half-written: the trust policy is the one before.
    kept = iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    assert kept["Statement"][0]["Principal"] == {"AWS": ROOT}
    # An account this server does not hold cannot be checked: its principals are taken as written.
    elsewhere = "arn:aws:iam::999988887777:user/anyone"
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=doc(allow({"AWS": elsewhere})))


def test_a_re_created_user_is_not_the_user_a_trust_policy_named(server, iam, unique):
    name = unique("alice")
    iam.create_user(UserName=name)
    old_id = iam.get_user(UserName=name)["User"]["UserId"]
    alice = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    role = iam.create_role(RoleName=unique("for-alice"), AssumeRolePolicyDocument=doc(allow({"AWS": alice})))["Role"]
    key = iam.create_access_key(UserName=name)["AccessKey"]
    client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=role["Arn"], RoleSessionName="before")
    iam.delete_access_key(UserName=name, AccessKeyId=key["AccessKeyId"])
    iam.delete_user(UserName=name)
    # Deleted: the trust policy shows the unique id the ARN was transformed to.
    shown = iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]
    assert shown["Statement"][0]["Principal"] == {"AWS": old_id}
    # Re-created under the same name: a new unique id, not trusted, although its identity policy allows it.
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="sts", PolicyDocument=doc(ALL_STS))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    with pytest.raises(ClientError) as excinfo:
        client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
            RoleArn=role["Arn"], RoleSessionName="after")
    assert error_of(excinfo) == refusal(alice, "sts:AssumeRole", role["Arn"])
    listed = [r for r in iam.list_roles()["Roles"] if r["RoleName"] == role["RoleName"]][0]
    assert listed["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] == {"AWS": old_id}
    # Saving the policy again pins the new user: it is trusted, and the ARN is shown again.
    iam.update_assume_role_policy(RoleName=role["RoleName"], PolicyDocument=doc(allow({"AWS": alice})))
    assert iam.get_role(RoleName=role["RoleName"])["Role"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"] == {"AWS": alice}
    client(server, "sts", key["AccessKeyId"], key["SecretAccessKey"]).assume_role(
        RoleArn=role["Arn"], RoleSessionName="again")


def test_a_re_created_role_is_not_the_role_a_trust_policy_named(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    first_name = unique("first")
    trust_user = doc(allow({"AWS": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"}))
    first = iam.create_role(RoleName=first_name, AssumeRolePolicyDocument=trust_user)["Role"]
    named = iam.create_role(RoleName=unique("named"),
                            AssumeRolePolicyDocument=doc(allow({"AWS": first["Arn"]})))["Role"]
    iam.delete_role(RoleName=first_name)
    again = iam.create_role(RoleName=first_name, AssumeRolePolicyDocument=trust_user)["Role"]
    assert again["Arn"] == first["Arn"] and again["RoleId"] != first["RoleId"]
    credentials = client(server, "sts", key_id, secret).assume_role(RoleArn=again["Arn"], RoleSessionName="one")
    session = client(server, "sts", *(credentials["Credentials"][k] for k in
                                      ("AccessKeyId", "SecretAccessKey", "SessionToken")))
    session_arn = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/{first_name}/one"
    with pytest.raises(ClientError) as excinfo:
        session.assume_role(RoleArn=named["Arn"], RoleSessionName="two")
    assert error_of(excinfo) == refusal(session_arn, "sts:AssumeRole", named["Arn"])
    assert iam.get_role(RoleName=named["RoleName"])["Role"]["AssumeRolePolicyDocument"]["Statement"][0][
        "Principal"] == {"AWS": first["RoleId"]}
