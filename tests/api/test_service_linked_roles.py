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


# (principal, role name, policies): each row as AWS documents it.
# Sources: AWS Systems Manager User Guide, "Using service-linked roles for Systems Manager" and "Using roles
# to collect AWS account information for OpsCenter and Explorer"; AWS WAF Classic Developer Guide, "Using
# service-linked roles for AWS WAF Classic"; Amazon ECS Developer Guide, "Using service-linked roles for
# Amazon ECS"; Elastic Load Balancing User Guide, "Elastic Load Balancing service-linked role"; Amazon RDS
# User Guide, "Using service-linked roles for Amazon RDS"; Amazon EKS User Guide, "Using service-linked roles
# for Amazon EKS"; AWS Well-Architected Tool User Guide, "Service-linked role permissions for AWS
# Well-Architected Tool organization sharing and resource discovery" (two policies); AWS AppSync's role is
# named by AWS's own managed policies (the catalogue's role ARNs, scripts/build_service_linked_roles.py).
DOCUMENTED = [
    ("ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM", ["AmazonSSMServiceRolePolicy"]),
    ("accountdiscovery.ssm.amazonaws.com", "AWSServiceRoleForAmazonSSM_AccountDiscovery",
     ["AWSSystemsManagerAccountDiscoveryServicePolicy"]),
    ("waf.amazonaws.com", "AWSServiceRoleForWAFLogging", ["WAFLoggingServiceRolePolicy"]),
    ("ecs.amazonaws.com", "AWSServiceRoleForECS", ["AmazonECSServiceRolePolicy"]),
    ("elasticloadbalancing.amazonaws.com", "AWSServiceRoleForElasticLoadBalancing",
     ["AWSElasticLoadBalancingServiceRolePolicy"]),
    ("rds.amazonaws.com", "AWSServiceRoleForRDS", ["AmazonRDSServiceRolePolicy"]),
    ("eks.amazonaws.com", "AWSServiceRoleForAmazonEKS", ["AmazonEKSServiceRolePolicy"]),
    ("wellarchitected.amazonaws.com", "AWSServiceRoleForWellArchitected",
     ["AWSWellArchitectedOrganizationsServiceRolePolicy", "AWSWellArchitectedDiscoveryServiceRolePolicy"]),
    ("appsync.amazonaws.com", "AWSServiceRoleForAppSync", ["AWSAppSyncServiceRolePolicy"]),
    # Not in the table: the documented fallback name, no policy.
    ("some-new.service.amazonaws.com", "AWSServiceRoleForSomeNewService", []),
]


@pytest.mark.parametrize("service, name, policies", DOCUMENTED)
def test_names_trust_path_and_policies_per_service(iam, service, name, policies):
    role = iam.create_service_linked_role(AWSServiceName=service)["Role"]
    try:
        assert role["RoleName"] == name and role["Path"] == f"/aws-service-role/{service}/"
        fetched = iam.get_role(RoleName=name)["Role"]
        assert fetched["Path"] == f"/aws-service-role/{service}/"
        assert fetched["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:role/aws-service-role/{service}/{name}"
        (statement,) = fetched["AssumeRolePolicyDocument"]["Statement"]
        assert statement["Principal"] == {"Service": [service]} and statement["Effect"] == "Allow"
        assert statement["Action"] == ["sts:AssumeRole"]
        assert raises(iam.create_service_linked_role, AWSServiceName=service) == (
            "InvalidInput", f"Service role name {name} has been taken in this account, please try a different "
            "suffix.", 400)
        attached = iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"]
        assert sorted(attached, key=lambda p: p["PolicyName"]) == sorted(
            ({"PolicyName": policy, "PolicyArn": f"arn:aws:iam::aws:policy/aws-service-role/{policy}"}
             for policy in policies), key=lambda p: p["PolicyName"])
    finally:
        iam.delete_service_linked_role(RoleName=name)


def test_the_attached_policy_counts_and_lists_the_role(iam):
    """The attachment is a real one: GetPolicy counts it and ListEntitiesForPolicy names the role."""
    arn = "arn:aws:iam::aws:policy/aws-service-role/WAFLoggingServiceRolePolicy"
    iam.create_service_linked_role(AWSServiceName="waf.amazonaws.com")
    try:
        assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 1
        roles = iam.list_entities_for_policy(PolicyArn=arn)["PolicyRoles"]
        assert [r["RoleName"] for r in roles] == ["AWSServiceRoleForWAFLogging"]
    finally:
        iam.delete_service_linked_role(RoleName="AWSServiceRoleForWAFLogging")
    assert iam.get_policy(PolicyArn=arn)["Policy"]["AttachmentCount"] == 0


@pytest.mark.parametrize("service", ["ecs.amazonaws.com", "batch.amazonaws.com", "rds.amazonaws.com",
                                     "ssm.amazonaws.com", "eks.amazonaws.com", "some-new.service.amazonaws.com"])
def test_custom_suffix_not_allowed(iam, service):
    """Recorded from AWS (aws-recorded-errors.md, CreateServiceLinkedRole): refused for most services."""
    assert raises(iam.create_service_linked_role, AWSServiceName=service, CustomSuffix="mine") == (
        "InvalidInput", f"Custom suffix is not allowed for {service}", 400)


@pytest.mark.parametrize("service, name", [
    ("autoscaling.amazonaws.com", "AWSServiceRoleForAutoScaling"),
    ("connect.amazonaws.com", "AWSServiceRoleForAmazonConnect"),
    ("lexv2.amazonaws.com", "AWSServiceRoleForLexV2Bots"),
])
def test_custom_suffix_accepted(iam, service, name):
    """Recorded from AWS (aws-recorded-errors.md, CreateServiceLinkedRole: suffixes accepted for these
    three); the suffix is appended as _<suffix> ("Response shapes worth noticing")."""
    tail = suffix()
    role = iam.create_service_linked_role(AWSServiceName=service, CustomSuffix=tail)["Role"]
    assert role["RoleName"] == f"{name}_{tail}"
    assert iam.get_role(RoleName=f"{name}_{tail}")["Role"]["Path"] == f"/aws-service-role/{service}/"
    iam.delete_service_linked_role(RoleName=f"{name}_{tail}")


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
    created = iam.create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com", CustomSuffix=tail)
    name = created["Role"]["RoleName"]
    protected = ("UnmodifiableEntity", f"Cannot perform the operation on the protected role '{name}' - this role is "
                 "only modifiable by AWS", 400)
    document = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'
    assert raises(iam.put_role_policy, RoleName=name, PolicyName="mine", PolicyDocument=document) == protected
    assert raises(iam.attach_role_policy, RoleName=name,
                  PolicyArn="arn:aws:iam::aws:policy/ReadOnlyAccess") == protected
    assert raises(iam.update_assume_role_policy, RoleName=name, PolicyDocument=document) == protected
    assert raises(iam.delete_role, RoleName=name) == protected
    iam.delete_service_linked_role(RoleName=name)
