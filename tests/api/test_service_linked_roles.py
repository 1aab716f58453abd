"""Service-linked roles through boto3 and the aws CLI: AWS's names and paths, the trust policy and
managed policy they get, custom suffixes, deletion tasks and errors."""

import re
import uuid

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, error_of


def raises(call, **params) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return error_of(excinfo)


def suffix() -> str:
    return uuid.uuid4().hex[:12]


def test_create_get_and_delete_with_a_custom_suffix(iam):
    tail = suffix()
    role = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=tail,
                                          Description="scaling")["Role"]
    name = f"AWSServiceRoleForAutoScaling_{tail}"
    assert role["RoleName"] == name and role["Path"] == "/aws-service-role/autoscaling.amazonaws.com/"
    assert role["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/autoscaling.amazonaws.com/{name}"
    assert re.fullmatch(r"AROA[A-Z2-7]{17}", role["RoleId"])
    statement = role["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Effect"] == "Allow" and statement["Principal"] == {"Service": ["autoscaling.amazonaws.com"]}
    assert statement["Action"] == ["sts:AssumeRole"]
    fetched = iam.get_role(RoleName=name)["Role"]
    assert fetched["Description"] == "scaling" and fetched["Arn"] == role["Arn"]
    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == [{
        "PolicyName": "AutoScalingServiceRolePolicy",
        "PolicyArn": "arn:aws:iam::aws:policy/aws-service-role/AutoScalingServiceRolePolicy"}]
    listed = iam.list_roles(PathPrefix="/aws-service-role/autoscaling.amazonaws.com/")["Roles"]
    assert name in [r["RoleName"] for r in listed]
    task = iam.delete_service_linked_role(RoleName=name)["DeletionTaskId"]
    assert re.fullmatch(rf"task/aws-service-role/autoscaling\.amazonaws\.com/{name}/"
                        r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", task)
    status = iam.get_service_linked_role_deletion_status(DeletionTaskId=task)
    assert status["Status"] == "SUCCEEDED" and "Reason" not in status
    assert raises(iam.get_role, RoleName=name)[:2] == ("NoSuchEntity", f"The role with name {name} cannot be found.")


@pytest.mark.parametrize("service, name, policy", [
    ("ecs.amazonaws.com", "AWSServiceRoleForECS", "AmazonECSServiceRolePolicy"),
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     "AWSElasticLoadBalancingServiceRolePolicy"),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS", "AmazonRDSServiceRolePolicy"),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", "AmazonEKSServiceRolePolicy"),
    ("some-new.service.amazonaws.com", "AWSServiceRoleForSomeNewService", None),
])
def test_names_and_policies_per_service(iam, service, name, policy):
    role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    try:
        assert role["RoleName"] == name and role["Path"] == f"/aws-service-role/{service}/"
        assert raises(iam.create_service_linked_role, AWSServiceName=service) == (
            "InvalidInput", f"Service role name {name} has been taken in this account, please try a different "
            "suffix.", 400)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        expected = [] if policy is None else [
            {"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}]
        assert attached == expected
    finally:
        iam.delete_service_linked_role(RoleName=name)


@pytest.mark.parametrize("service", ["ecs.amazonaws.com", "batch.amazonaws.com", "rds.amazonaws.com"])
def test_custom_suffix_not_allowed(iam, service):
    assert raises(iam.create_service_linked_role, AWSServiceName=service, CustomSuffix="mine") == (
        "InvalidInput", f"Custom suffix is not allowed for {service}", 400)


def test_suffixed_name_taken(iam):
    tail = suffix()
    iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=tail)
    assert raises(iam.create_service_linked_role, AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=tail) == (
        "InvalidInput", f"Service role name AWSServiceRoleForAutoScaling_{tail} has been taken in this account, "
        "please try a different suffix.", 400)
    iam.delete_service_linked_role(RoleName=f"AWSServiceRoleForAutoScaling_{tail}")


def test_delete_errors(iam, unique):
    assert raises(iam.delete_service_linked_role, RoleName="ghost-role") == (
        "NoSuchEntity", "The role with name ghost-role cannot be found.", 404)
    name = unique("plain")
    iam.create_role(RoleName=name, AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
                    '"Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}')
    code, _, status = raises(iam.delete_service_linked_role, RoleName=name)
    assert (code, status) == ("InvalidInput", 400)
    assert iam.get_role(RoleName=name)["Role"]["RoleName"] == name
    iam.delete_role(RoleName=name)


def test_deletion_status_of_an_unknown_task(iam):
    task = f"task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/{uuid.uuid4()}"
    code, _, status = raises(iam.get_service_linked_role_deletion_status, DeletionTaskId=task)
    assert (code, status) == ("NoSuchEntity", 404)


def test_service_linked_roles_through_the_aws_cli(server):
    tail = suffix()
    role = aws_json(server, "iam", "create-service-linked-role", "--aws-service-name", "autoscaling.amazonaws.com",
                    "--custom-suffix", tail)["Role"]
    assert role["RoleName"] == f"AWSServiceRoleForAutoScaling_{tail}"
    task = aws_json(server, "iam", "delete-service-linked-role", "--role-name", role["RoleName"])["DeletionTaskId"]
    assert aws_json(server, "iam", "get-service-linked-role-deletion-status", "--deletion-task-id", task) == {
        "Status": "SUCCEEDED"}


def test_a_service_linked_role_is_not_changed_by_hand(iam):
    tail = suffix()
    name = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=tail)["Role"]["RoleName"]
    protected = ("UnmodifiableEntity", f"Cannot perform the operation on the protected role '{name}' - this role is "
                 "only modifiable by AWS", 400)
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    assert raises(iam.put_role_policy, RoleName=name, PolicyName="mine", PolicyDocument=document) == protected
    assert raises(iam.attach_role_policy, RoleName=name,
                  PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess") == protected
    assert raises(iam.update_assume_role_policy, RoleName=name, PolicyDocument=document) == protected
    assert raises(iam.delete_role, RoleName=name) == protected
    iam.delete_service_linked_role(RoleName=name)
