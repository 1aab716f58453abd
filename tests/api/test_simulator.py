"""The policy simulator: SimulatePrincipalPolicy, SimulateCustomPolicy and GetContextKeysFor*Policy."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of

# AWS echoes the requested resource in EvalResourceName, "*" when none was asked about, and adds
# OrganizationsDecisionDetail (IAM API Reference, EvaluationResult: EvalResourceName "The ARN of the
# resource that the indicated API operation was tested on"; OrganizationsDecisionDetail).
ORGANIZATIONS = {"AllowedByOrganizations": True}


def doc(*statements, indent=None) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)}, indent=indent)


def allow(action, resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action, resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def user_arn(name):
    return f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"


def position(text: str, offset: int) -> dict:
    """1-based line and column of an offset, as the simulator reports positions."""
    line = text.count("\n", 0, offset) + 1
    return {"Line": line, "Column": offset - (text.rfind("\n", 0, offset) + 1) + 1}


def by_action(response) -> dict:
    return {result["EvalActionName"]: result for result in response["EvaluationResults"]}


def sources(statements) -> list:
    return [(s["SourcePolicyId"], s["SourcePolicyType"]) for s in statements]


@pytest.fixture
def principal(iam, unique):
    """A user with an inline policy (allow and deny), a managed policy and a group with both kinds."""
    name, group = unique("sim"), unique("simgroup")
    iam.create_user(UserName=name)
    inline = doc(allow("iam:Get*"), deny("iam:DeleteUser", user_arn("protected-*")), indent=2)
    iam.put_user_policy(UserName=name, PolicyName="own", PolicyDocument=inline)
    managed_name = unique("simlist")
    managed_arn = iam.create_policy(PolicyName=managed_name, PolicyDocument=doc(allow("iam:List*")))["Policy"]["Arn"]
    iam.attach_user_policy(UserName=name, PolicyArn=managed_arn)
    iam.create_group(GroupName=group)
    iam.add_user_to_group(UserName=name, GroupName=group)
    iam.put_group_policy(GroupName=group, PolicyName="creators", PolicyDocument=doc(allow("iam:CreateUser")))
    iam.attach_group_policy(GroupName=group, PolicyArn="arn:aws:iam::aws:policy/IAMUserChangePassword")
    return {"name": name, "group": group, "inline": inline, "managed": managed_name}


def test_principal_policy_combines_inline_managed_and_group_policies(iam, principal):
    name, target = principal["name"], user_arn("protected-alice")
    response = iam.simulate_principal_policy(
        PolicySourceArn=user_arn(name), ResourceArns=[target],
        ActionNames=["iam:GetUser", "iam:ListUserTags", "iam:CreateUser", "iam:DeleteUser", "iam:CreateGroup",
                     "iam:GetAccountPasswordPolicy"])
    results = by_action(response)
    assert response["IsTruncated"] is False
    get = results["iam:GetUser"]
    assert get["EvalDecision"] == "allowed"
    assert get["EvalResourceName"] == target and get["OrganizationsDecisionDetail"] == ORGANIZATIONS
    assert sources(get["MatchedStatements"]) == [(f"user_{name}_own", "IAM Policy")]
    assert get["MissingContextValues"] == [] and get["EvalDecisionDetails"] == {}
    assert "PermissionsBoundaryDecisionDetail" not in get
    (specific,) = get["ResourceSpecificResults"]
    assert specific["EvalResourceName"] == target and specific["EvalResourceDecision"] == "allowed"
    assert sources(results["iam:ListUserTags"]["MatchedStatements"]) == [(principal["managed"], "IAM Policy")]
    assert sources(results["iam:CreateUser"]["MatchedStatements"]) == [
        (f"group_{principal['group']}_creators", "IAM Policy")]
    assert sources(results["iam:GetAccountPasswordPolicy"]["MatchedStatements"]) == [
        (f"user_{name}_own", "IAM Policy"), ("IAMUserChangePassword", "IAM Policy")]

    denied = results["iam:DeleteUser"]
    assert denied["EvalDecision"] == "explicitDeny"
    (statement,) = denied["MatchedStatements"]
    assert statement["SourcePolicyId"] == f"user_{name}_own"
    # AWS reports where its reader stood before the statement (just past the previous one) and just past
    # its closing brace.
    text = principal["inline"]
    deny_open = text.index("{", text.index('"Effect": "Deny"') - 20)
    previous_close = text.rindex("}", 0, deny_open)
    deny_close = text.index("}", deny_open)
    assert statement["StartPosition"] == position(text, previous_close + 1)
    assert statement["EndPosition"] == position(text, deny_close + 1)
    assert text[deny_open:deny_close + 1].startswith('{\n      "Effect": "Deny"')

    implicit = results["iam:CreateGroup"]
    assert implicit["EvalDecision"] == "implicitDeny" and implicit["MatchedStatements"] == []
    assert implicit["ResourceSpecificResults"][0]["EvalResourceDecision"] == "implicitDeny"


def test_resources_each_get_their_own_decision(iam, principal):
    allowed, protected = user_arn("someone"), user_arn("protected-bob")
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=user_arn(principal["name"]), ActionNames=["iam:DeleteUser"],
        PolicyInputList=[doc(allow("iam:DeleteUser"))], ResourceArns=[allowed, protected])["EvaluationResults"]
    assert result["EvalDecision"] == "explicitDeny"
    assert [(r["EvalResourceName"], r["EvalResourceDecision"]) for r in result["ResourceSpecificResults"]] == [
        (allowed, "allowed"), (protected, "explicitDeny")]
    assert sources(result["ResourceSpecificResults"][0]["MatchedStatements"]) == [("PolicyInputList.1", "IAM Policy")]
    assert sources(result["MatchedStatements"]) == [(f"user_{principal['name']}_own", "IAM Policy")]


def test_group_as_policy_source(iam, principal):
    (result,) = iam.simulate_principal_policy(
        PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:group/{principal['group']}",
        ActionNames=["iam:CreateUser"])["EvaluationResults"]
    assert result["EvalDecision"] == "allowed" and result["EvalResourceName"] == "*"
    assert result["OrganizationsDecisionDetail"] == ORGANIZATIONS
    assert "ResourceSpecificResults" not in result and "EvalDecisionDetails" not in result


def test_boundary_turns_an_allow_into_an_implicit_deny(iam, principal, unique):
    arn = user_arn(principal["name"])
    response = iam.simulate_principal_policy(
        PolicySourceArn=arn, ActionNames=["iam:GetUser", "iam:ListUsers"],
        PermissionsBoundaryPolicyInputList=[doc(allow("iam:Get*"))])
    results = by_action(response)
    assert results["iam:GetUser"]["EvalDecision"] == "allowed"
    assert results["iam:GetUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": True}
    assert results["iam:ListUsers"]["EvalDecision"] == "implicitDeny"
    assert results["iam:ListUsers"]["MatchedStatements"] == []
    assert results["iam:ListUsers"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}

    # The user's own boundary counts too.
    boundary = iam.create_policy(PolicyName=unique("bound"), PolicyDocument=doc(allow("iam:List*")))["Policy"]["Arn"]
    iam.put_user_permissions_boundary(UserName=principal["name"], PermissionsBoundary=boundary)
    results = by_action(iam.simulate_principal_policy(PolicySourceArn=arn,
                                                      ActionNames=["iam:GetUser", "iam:ListUsers"]))
    assert results["iam:GetUser"]["EvalDecision"] == "implicitDeny"
    assert results["iam:GetUser"]["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}
    assert results["iam:ListUsers"]["EvalDecision"] == "allowed"


def test_custom_policy_with_boundary(iam):
    (result,) = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("s3:*"))], PermissionsBoundaryPolicyInputList=[doc(allow("ec2:*"))],
        ActionNames=["s3:GetObject"])["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["PermissionsBoundaryDecisionDetail"] == {"AllowedByPermissionsBoundary": False}


def test_custom_policy_names_the_requested_resource(iam):
    """SimulateCustomPolicy echoes the resource asked about (IAM API Reference, EvaluationResult)."""
    bucket = "arn:aws:s3:::reports/2026/summary.csv"
    (result,) = iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:GetObject", "arn:aws:s3:::reports/*"))],
                                           ActionNames=["s3:GetObject"], ResourceArns=[bucket])["EvaluationResults"]
    assert result["EvalResourceName"] == bucket and result["EvalDecision"] == "allowed"
    assert result["OrganizationsDecisionDetail"] == ORGANIZATIONS
    assert result["ResourceSpecificResults"][0]["EvalResourceName"] == bucket


def test_aws_documented_example_positions_and_dates(iam):
    # The example of AWS's CLI reference for simulate-custom-policy, with its published output.
    policy = ('{"Version":"2012-10-17","Statement":{"Effect":"Allow","Action":"dynamodb:*","Resource":"*",'
              '"Condition":{"DateGreaterThan":{"aws:CurrentTime":"2018-08-16T12:00:00Z"}}}}')

    def simulate(when):
        return iam.simulate_custom_policy(
            PolicyInputList=[policy], ActionNames=["dynamodb:CreateBackup"],
            ContextEntries=[{"ContextKeyName": "aws:CurrentTime", "ContextKeyValues": [when],
                             "ContextKeyType": "date"}])["EvaluationResults"][0]

    result = simulate("2019-04-25T11:00:00Z")
    assert result["EvalDecision"] == "allowed" and result["EvalResourceName"] == "*"
    assert result["MatchedStatements"] == [{
        "SourcePolicyId": "PolicyInputList.1", "SourcePolicyType": "IAM Policy",
        "StartPosition": {"Line": 1, "Column": 38}, "EndPosition": {"Line": 1, "Column": 167}}]
    assert result["MissingContextValues"] == []
    result = simulate("2014-04-25T11:00:00Z")
    assert result["EvalDecision"] == "implicitDeny" and result["MatchedStatements"] == []


def test_context_entries_satisfy_conditions_and_missing_ones_are_named(iam):
    policy = doc(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"},
                                                    "Bool": {"aws:MultiFactorAuthPresent": "true"}}))
    entries = [
        {"ContextKeyName": "aws:SourceIp", "ContextKeyValues": ["203.0.113.9"], "ContextKeyType": "ip"},
        {"ContextKeyName": "aws:MultiFactorAuthPresent", "ContextKeyValues": ["true"], "ContextKeyType": "boolean"},
    ]
    (result,) = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:ListUsers"],
                                           ContextEntries=entries)["EvaluationResults"]
    assert result["EvalDecision"] == "allowed" and result["MissingContextValues"] == []
    (result,) = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:ListUsers"],
                                           ContextEntries=entries[:1] + [{**entries[1], "ContextKeyValues": ["false"]}]
                                           )["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    (result,) = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:ListUsers"])["EvaluationResults"]
    assert result["EvalDecision"] == "implicitDeny"
    assert result["MissingContextValues"] == ["aws:MultiFactorAuthPresent", "aws:SourceIp"]


def test_custom_policy_with_resource_policy(iam):
    caller = user_arn("reader")
    bucket_policy = doc(
        {"Sid": "Readers", "Effect": "Allow", "Principal": {"AWS": caller}, "Action": "s3:GetObject",
         "Resource": "arn:aws:s3:::reports/*"},
        {"Sid": "NoDeletes", "Effect": "Deny", "Principal": "*", "Action": "s3:DeleteObject",
         "Resource": "arn:aws:s3:::reports/*"})
    response = iam.simulate_custom_policy(
        PolicyInputList=[doc(allow("s3:DeleteObject"))], ResourcePolicy=bucket_policy, CallerArn=caller,
        ActionNames=["s3:GetObject", "s3:DeleteObject", "s3:PutObject"], ResourceArns=["arn:aws:s3:::reports/q1.csv"])
    results = by_action(response)
    assert results["s3:GetObject"]["EvalDecision"] == "allowed"
    assert sources(results["s3:GetObject"]["MatchedStatements"]) == [("ResourcePolicy", "Resource Policy")]
    assert results["s3:GetObject"]["EvalDecisionDetails"] == {}
    assert results["s3:DeleteObject"]["EvalDecision"] == "explicitDeny"
    assert sources(results["s3:DeleteObject"]["MatchedStatements"]) == [("ResourcePolicy", "Resource Policy")]
    assert results["s3:PutObject"]["EvalDecision"] == "implicitDeny"

    with pytest.raises(ClientError) as excinfo:
        iam.simulate_custom_policy(PolicyInputList=[doc(allow("s3:*"))], ResourcePolicy=bucket_policy,
                                   ActionNames=["s3:GetObject"])
    assert error_of(excinfo)[0] == "InvalidInput"


def test_custom_policy_with_a_trust_policy_as_resource_policy(iam):
    """For sts:AssumeRole the ResourcePolicy is weighed as STS weighs a role's trust policy: it must name
    the caller even in its own account (IAM User Guide, "Policy evaluation logic": "IAM role trust
    policies and KMS key policies are exceptions"); the same-account S3 case above grants on either side.
    AWS's own simulator is reported to skip the ResourcePolicy for these actions (aws/aws-cli#10314)."""
    caller, role = user_arn("switcher"), f"arn:aws:iam::{ACCOUNT_ID}:role/target"
    ec2_only = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})
    names_caller = doc({"Sid": "Caller", "Effect": "Allow", "Principal": {"AWS": caller}, "Action": "sts:AssumeRole"})
    names_account = doc({"Effect": "Allow", "Principal": {"AWS": ACCOUNT_ID}, "Action": "sts:AssumeRole"})

    def decide(identity, trust):
        (result,) = iam.simulate_custom_policy(
            PolicyInputList=[identity], ResourcePolicy=trust, CallerArn=caller, ActionNames=["sts:AssumeRole"],
            ResourceArns=[role])["EvaluationResults"]
        return result["EvalDecision"], sources(result["MatchedStatements"])

    allows_assume, allows_other = doc(allow("sts:AssumeRole")), doc(allow("iam:ListUsers"))
    assert decide(allows_assume, ec2_only) == ("implicitDeny", [])
    assert decide(allows_other, names_caller) == ("allowed", [("ResourcePolicy", "Resource Policy")])
    assert decide(allows_other, names_account) == ("implicitDeny", [])
    assert decide(allows_assume, names_account)[0] == "allowed"


def test_context_keys(iam, principal):
    policy = doc(allow("iam:ListUsers", Condition={"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}),
                 allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}",
                       Condition={"StringEquals": {"aws:RequestedRegion": "us-east-1"}}))
    keys = iam.get_context_keys_for_custom_policy(PolicyInputList=[policy])["ContextKeyNames"]
    assert keys == ["aws:RequestedRegion", "aws:SourceIp", "aws:username"]
    without_mfa = {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}
    iam.put_user_policy(UserName=principal["name"], PolicyName="mfa",
                        PolicyDocument=doc(deny("*", Condition=without_mfa)))
    keys = iam.get_context_keys_for_principal_policy(
        PolicySourceArn=user_arn(principal["name"]), PolicyInputList=[policy])["ContextKeyNames"]
    assert keys == ["aws:MultiFactorAuthPresent", "aws:RequestedRegion", "aws:SourceIp", "aws:username"]


def test_pagination(iam):
    actions = ["iam:GetUser", "iam:ListUsers", "iam:CreateUser", "iam:DeleteUser", "iam:TagUser"]
    first = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*"))], ActionNames=actions, MaxItems=2)
    assert first["IsTruncated"] is True and len(first["EvaluationResults"]) == 2
    second = iam.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*"))], ActionNames=actions, MaxItems=2,
                                        Marker=first["Marker"])
    pages = iam.get_paginator("simulate_custom_policy").paginate(
        PolicyInputList=[doc(allow("iam:*"))], ActionNames=actions, PaginationConfig={"PageSize": 2})
    seen = [r["EvalActionName"] for page in pages for r in page["EvaluationResults"]]
    assert seen == actions
    assert [r["EvalActionName"] for r in second["EvaluationResults"]] == actions[2:4]


def test_errors(iam, unique):
    missing = unique("ghost")
    with pytest.raises(ClientError) as excinfo:
        iam.simulate_principal_policy(PolicySourceArn=user_arn(missing), ActionNames=["iam:GetUser"])
    assert error_of(excinfo) == ("NoSuchEntity", f"The user with name {missing} cannot be found.", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.get_context_keys_for_principal_policy(PolicySourceArn=f"arn:aws:iam::{ACCOUNT_ID}:group/{missing}")
    assert error_of(excinfo) == ("NoSuchEntity", f"The group with name {missing} cannot be found.", 404)
    session = f"arn:aws:sts::{ACCOUNT_ID}:assumed-role/admin/session"
    with pytest.raises(ClientError) as excinfo:
        iam.simulate_principal_policy(PolicySourceArn=session, ActionNames=["iam:GetUser"])
    assert error_of(excinfo) == (
        "InvalidInput", f"Invalid Entity Arn: {session} does not clearly define entity type and name.", 400)
    with pytest.raises(ClientError) as excinfo:
        iam.simulate_custom_policy(PolicyInputList=['{"Version":"2012-10-17"'], ActionNames=["iam:GetUser"])
    assert error_of(excinfo)[0::2] == ("MalformedPolicyDocument", 400)
    with pytest.raises(ClientError) as excinfo:
        iam.get_context_keys_for_custom_policy(PolicyInputList=[doc({"Effect": "Allow", "Action": "iam:GetUser"})])
    assert error_of(excinfo)[0::2] == ("MalformedPolicyDocument", 400)


def test_simulating_needs_permission_on_the_source(server, iam, new_user, unique):
    name, key_id, secret = new_user()
    iam.put_user_policy(UserName=name, PolicyName="custom", PolicyDocument=doc(allow("iam:SimulateCustomPolicy")))
    own = client(server, "iam", key_id, secret)
    assert own.simulate_custom_policy(PolicyInputList=[doc(allow("iam:*"))],
                                      ActionNames=["iam:GetUser"])["EvaluationResults"][0]["EvalDecision"] == "allowed"
    with pytest.raises(ClientError) as excinfo:
        own.simulate_principal_policy(PolicySourceArn=user_arn(name), ActionNames=["iam:GetUser"])
    assert error_of(excinfo) == (
        "AccessDenied", f"User: {user_arn(name)} is not authorized to perform: iam:SimulatePrincipalPolicy on "
        f"resource: {user_arn(name)} because no identity-based policy allows the iam:SimulatePrincipalPolicy action",
        403)


def test_through_the_aws_cli(server):
    policy = doc(allow("iam:Get*"), deny("iam:GetUser", user_arn("root-*")))
    response = aws_json(server, "iam", "simulate-custom-policy", "--policy-input-list", policy,
                        "--action-names", "iam:GetUser", "iam:DeleteUser",
                        "--resource-arns", user_arn("root-admin"), user_arn("bob"))
    results = by_action(response)
    assert results["iam:GetUser"]["EvalDecision"] == "explicitDeny"
    assert [r["EvalResourceDecision"] for r in results["iam:GetUser"]["ResourceSpecificResults"]] == [
        "explicitDeny", "allowed"]
    start = policy.index('{"Effect": "Deny"')
    assert results["iam:GetUser"]["MatchedStatements"][0]["StartPosition"] == {"Line": 1, "Column": start - 1}
    assert results["iam:DeleteUser"]["EvalDecision"] == "implicitDeny"


def test_policies_without_version_are_simulated_with_the_2008_rules(iam):
    """IAM User Guide, "IAM JSON policy elements: Version": without Version (or with 2008-10-17)
    ${aws:username} is not a variable but text. A boundary is a managed policy, which AWS refuses
    without Version 2012-10-17 (aws-recorded-errors.md, CreatePolicy rows 2 and 3)."""
    statement = allow("iam:GetUser", "arn:aws:iam::*:user/${aws:username}")
    old = json.dumps({"Statement": [statement]})
    context = [{"ContextKeyName": "aws:username", "ContextKeyValues": ["bob"], "ContextKeyType": "string"}]

    def decision(policy, resource):
        (result,) = iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:GetUser"],
                                               ResourceArns=[resource], ContextEntries=context)["EvaluationResults"]
        return result["EvalDecision"]

    assert decision(old, user_arn("bob")) == "implicitDeny"
    assert decision(old, user_arn("${aws:username}")) == "allowed"
    assert decision(doc(statement), user_arn("bob")) == "allowed"
    with pytest.raises(ClientError) as excinfo:
        iam.simulate_custom_policy(PolicyInputList=[old], PermissionsBoundaryPolicyInputList=[old],
                                   ActionNames=["iam:GetUser"])
    assert error_of(excinfo) == (
        "MalformedPolicyDocument", "Policy document must be version 2012-10-17 or greater.", 400)


@pytest.mark.parametrize("operator, key_type, decision", [
    ("StringEquals", "stringList", "implicitDeny"),
    ("StringEqualsIfExists", "stringList", "implicitDeny"),
    ("StringNotEquals", "stringList", "implicitDeny"),
    ("ForAnyValue:StringEquals", "stringList", "allowed"),
    ("ForAllValues:StringEquals", "stringList", "allowed"),
    ("StringEquals", "string", "allowed"),
])
def test_list_context_entries_need_a_set_operator(iam, operator, key_type, decision):
    """Recorded from AWS through SimulateCustomPolicy: a stringList entry under StringEquals whose one
    value is equal answers implicitDeny. IAM User Guide, "Single-valued vs. multivalued context keys":
    multivalued keys require ForAllValues:/ForAnyValue:. (StringNotEquals with an unequal value.)"""
    value = "other" if operator == "StringNotEquals" else "team"
    policy = doc(allow("iam:TagUser", Condition={operator: {"aws:TagKeys": value}}))
    (result,) = iam.simulate_custom_policy(
        PolicyInputList=[policy], ActionNames=["iam:TagUser"],
        ContextEntries=[{"ContextKeyName": "aws:TagKeys", "ContextKeyValues": ["team"], "ContextKeyType": key_type}],
    )["EvaluationResults"]
    assert result["EvalDecision"] == decision
    assert result["MissingContextValues"] == []


def test_numeric_list_entry_needs_a_set_operator(iam):
    policy = doc(allow("iam:TagUser", Condition={"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}),
                 allow("iam:GetUser", Condition={"ForAnyValue:NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}}))
    entries = [{"ContextKeyName": "aws:MultiFactorAuthAge", "ContextKeyValues": ["10"],
                "ContextKeyType": "numericList"}]
    results = by_action(iam.simulate_custom_policy(PolicyInputList=[policy], ActionNames=["iam:TagUser", "iam:GetUser"],
                                                   ContextEntries=entries))
    assert results["iam:TagUser"]["EvalDecision"] == "implicitDeny"
    assert results["iam:GetUser"]["EvalDecision"] == "allowed"
