"""Least privilege from activity: Access Analyzer's policy generation and ``iamd policy generate``.

Sources: "IAM Access Analyzer policy generation" (IAM User Guide); "StartPolicyGeneration",
"GetGeneratedPolicy", "ListPolicyGenerations" (IAM Access Analyzer API Reference).
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of
from tests.api.test_events import doc

ADMIN = "arn:aws:iam::aws:policy/AdministratorAccess"
EC2_TRUST = doc({"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"})


def workload(iam, names: dict) -> None:
    """What the principal does for a living."""
    iam.list_users()
    for target in names["targets"]:
        iam.get_user(UserName=target)
    iam.create_role(RoleName=names["role"], AssumeRolePolicyDocument=EC2_TRUST)
    iam.create_instance_profile(InstanceProfileName=names["profile"])
    iam.add_role_to_instance_profile(InstanceProfileName=names["profile"], RoleName=names["role"])
    iam.tag_user(UserName=names["targets"][0], Tags=[{"Key": "seen", "Value": "yes"}])


def undo_workload(iam, names: dict) -> None:
    iam.remove_role_from_instance_profile(InstanceProfileName=names["profile"], RoleName=names["role"])
    iam.delete_instance_profile(InstanceProfileName=names["profile"])
    iam.delete_role(RoleName=names["role"])
    iam.untag_user(UserName=names["targets"][0], TagKeys=["seen"])


def generated(server, principal_arn: str) -> dict:
    analyzer = client(server, "accessanalyzer")
    job = analyzer.start_policy_generation(policyGenerationDetails={"principalArn": principal_arn})["jobId"]
    return analyzer.get_generated_policy(jobId=job)


def test_generate_attach_replay(server, iam, new_user, unique):
    """The loop: record a workload under an admin policy, generate, swap the admin policy for the
    generated one, replay: every call still allowed; a call outside the workload refused."""
    worker, key_id, secret = new_user()
    iam.attach_user_policy(UserName=worker, PolicyArn=ADMIN)
    iam.put_user_policy(UserName=worker, PolicyName="spare", PolicyDocument=doc(
        {"Sid": "NeverUsed", "Effect": "Allow", "Action": "iam:DeleteAccountAlias", "Resource": "*"}))
    team = unique("team")
    names = {"targets": [unique("t") for _ in range(7)], "role": unique("app"), "profile": unique("ip")}
    for target in names["targets"]:
        iam.create_user(UserName=target, Path=f"/{team}/")
    own = client(server, "iam", key_id, secret)
    workload(own, names)

    worker_arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{worker}"
    answer = generated(server, worker_arn)
    assert answer["jobDetails"]["status"] == "SUCCEEDED"
    assert answer["generatedPolicyResult"]["properties"]["principalArn"] == worker_arn
    policy = json.loads(answer["generatedPolicyResult"]["generatedPolicies"][0]["policy"])
    statements = {s["Sid"]: s for s in policy["Statement"]}
    by_action = {}
    for statement in policy["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        for action in actions:
            by_action[action] = statement["Resource"]
    role_arn = f"arn:aws:iam::{ACCOUNT_ID}:role/{names['role']}"
    profile_arn = f"arn:aws:iam::{ACCOUNT_ID}:instance-profile/{names['profile']}"
    assert by_action["iam:PassRole"] == role_arn  # the role actually passed, nothing wider
    assert by_action["iam:CreateRole"] == role_arn
    assert by_action["iam:CreateInstanceProfile"] == by_action["iam:AddRoleToInstanceProfile"] == profile_arn
    assert by_action["iam:ListUsers"] == "*"
    team_prefix = f"arn:aws:iam::{ACCOUNT_ID}:user/{team}/"
    assert by_action["iam:GetUser"] == team_prefix + "*"  # 7 users under one path: collapsed, and said so
    assert by_action["iam:TagUser"] == team_prefix + names["targets"][0]
    assert set(by_action) == {"iam:ListUsers", "iam:GetUser", "iam:CreateRole", "iam:CreateInstanceProfile",
                              "iam:AddRoleToInstanceProfile", "iam:PassRole", "iam:TagUser"}
    assert len(statements) == len(policy["Statement"])

    # iamd's additions, through the CLI (botocore's parser drops members it does not know).
    done = server.cli("policy", "generate", "--principal", worker_arn)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["policy"] == policy
    assert f"7 resources under {team_prefix} collapsed to {team_prefix}*" in report["notes"]
    assert [(u["policyId"], u["sid"]) for u in report["unusedStatements"]] == [("spare", "NeverUsed")]
    assert all(c.get("aws:RequestedRegion") == "us-east-1" for c in report["suggestedConditions"].values())
    pass_sid = next(s["Sid"] for s in policy["Statement"] if s["Action"] == "iam:PassRole")
    assert report["suggestedConditions"][pass_sid]["iam:PassedToService"] == "ec2.amazonaws.com"

    # Swap the admin policy for the generated one, and replay.
    undo_workload(iam, names)
    created = iam.create_policy(PolicyName=unique("generated"), PolicyDocument=json.dumps(policy))["Policy"]
    iam.attach_user_policy(UserName=worker, PolicyArn=created["Arn"])
    iam.detach_user_policy(UserName=worker, PolicyArn=ADMIN)
    iam.delete_user_policy(UserName=worker, PolicyName="spare")
    workload(own, names)  # every call still allowed
    for outside in (lambda: own.delete_user(UserName=names["targets"][1]),
                    lambda: own.create_user(UserName=unique("more")),
                    lambda: own.get_role(RoleName=names["role"])):
        with pytest.raises(ClientError) as refused:
            outside()
        assert error_of(refused)[0] == "AccessDenied"


def test_generation_for_a_role_counts_its_sessions(server, iam, new_user, unique):
    caller, key_id, secret = new_user()
    iam.put_user_policy(UserName=caller, PolicyName="assume", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": "*"}))
    role = unique("gen")
    trust = doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT_ID}:root"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName=role, AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    iam.put_role_policy(RoleName=role, PolicyName="wide", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "iam:List*", "Resource": "*"}))
    sts = client(server, "sts", key_id, secret)
    for session in ("one", "two"):
        creds = sts.assume_role(RoleArn=arn, RoleSessionName=session)["Credentials"]
        as_role = client(server, "iam", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        as_role.list_roles() if session == "one" else as_role.list_groups()
    policy = json.loads(generated(server, arn)["generatedPolicyResult"]["generatedPolicies"][0]["policy"])
    assert policy["Statement"] == [{"Sid": "Generated1", "Effect": "Allow",
                                    "Action": ["iam:ListGroups", "iam:ListRoles"], "Resource": "*"}]


def test_the_aws_cli_and_the_job_list(server, iam, new_user):
    name, _, _ = new_user()
    arn = f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    started = aws_json(server, "accessanalyzer", "start-policy-generation",
                       "--policy-generation-details", json.dumps({"principalArn": arn}))
    listed = aws_json(server, "accessanalyzer", "list-policy-generations", "--principal-arn", arn)
    assert [(g["jobId"], g["principalArn"], g["status"]) for g in listed["policyGenerations"]] == [
        (started["jobId"], arn, "SUCCEEDED")]
    got = aws_json(server, "accessanalyzer", "get-generated-policy", "--job-id", started["jobId"])
    assert got["generatedPolicyResult"]["generatedPolicies"] == []  # the new user did nothing yet


@pytest.mark.parametrize("principal, code, status", [
    ("arn:aws:iam::123456789012:user/no-such-user-here", "ValidationException", 400),
    ("arn:aws:iam::999999999999:user/elsewhere", "ValidationException", 400),
    ("arn:aws:s3:::bucket", "ValidationException", 400),
])
def test_bad_principals_get_validation_errors(server, principal, code, status):
    with pytest.raises(ClientError) as failed:
        client(server, "accessanalyzer").start_policy_generation(policyGenerationDetails={"principalArn": principal})
    assert error_of(failed)[0::2] == (code, status)


def test_an_unknown_job_and_a_refused_caller(server, new_user):
    with pytest.raises(ClientError) as failed:
        client(server, "accessanalyzer").get_generated_policy(jobId="00000000-0000-0000-0000-000000000000")
    assert error_of(failed)[0::2] == ("ResourceNotFoundException", 404)
    _, key_id, secret = new_user()
    with pytest.raises(ClientError) as refused:
        client(server, "accessanalyzer", key_id, secret).list_policy_generations()
    code, message, status = error_of(refused)
    assert (code, status) == ("AccessDeniedException", 403)
    assert "access-analyzer:ListPolicyGenerations" in message


def test_a_client_token_makes_a_retry_return_the_same_job(server, new_user):
    """StartPolicyGeneration's clientToken: retries with the same token return the original job."""
    name, _, _ = new_user()
    analyzer = client(server, "accessanalyzer")
    details = {"principalArn": f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"}
    first = analyzer.start_policy_generation(policyGenerationDetails=details, clientToken=f"tok-{name}")["jobId"]
    again = analyzer.start_policy_generation(policyGenerationDetails=details, clientToken=f"tok-{name}")["jobId"]
    other = analyzer.start_policy_generation(policyGenerationDetails=details)["jobId"]  # the SDK makes a token
    assert first == again != other
    listed = analyzer.list_policy_generations(principalArn=details["principalArn"])["policyGenerations"]
    assert sorted(g["jobId"] for g in listed) == sorted([first, other])
