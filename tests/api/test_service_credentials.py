"""Service-specific credentials: AWS's shapes, two per service per user, errors as recorded."""

import re

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import ACCOUNT_ID, aws_json, client, error_of

CODECOMMIT = "codecommit.amazonaws.com"
ID_PATTERN_ERROR = ("ValidationError", "1 validation error detected: Value at 'serviceSpecificCredentialId' failed to "
                    "satisfy constraint: Member must satisfy regular expression pattern: [\\w]+", 400)


@pytest.fixture
def user(iam, unique):
    name = unique("git")
    iam.create_user(UserName=name)
    return name


def unsupported(service: str) -> tuple:
    return ("NoSuchEntity", f"No such service {service} is supported for Service Specific Credentials", 404)


def test_create_list_reset_update_delete(iam, user):
    created = iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"]
    cred_id = created["ServiceSpecificCredentialId"]
    assert re.fullmatch(r"ACCA[A-Z2-7]{17}", cred_id)
    assert created["ServiceUserName"] == f"{user}-at-{ACCOUNT_ID}"
    assert created["UserName"] == user and created["Status"] == "Active" and created["ServiceName"] == CODECOMMIT
    assert len(created["ServicePassword"]) >= 40

    listed = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert listed == [{key: value for key, value in created.items() if key != "ServicePassword"}]

    reset = iam.reset_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id)[
        "ServiceSpecificCredential"]
    assert reset["ServicePassword"] != created["ServicePassword"]
    assert reset["ServiceSpecificCredentialId"] == cred_id and reset["ServiceUserName"] == created["ServiceUserName"]

    iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id, Status="Inactive")
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"][0]["Status"] == "Inactive"
    iam.delete_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id)
    assert iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"] == []


def test_service_filter_and_quota_per_service(iam, user):
    for _ in range(2):
        iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    assert error_of(excinfo) == (
        "LimitExceeded", "Cannot exceed quota for ServiceSpecificCredentialsPerUserPerService: 2", 409)
    keyspaces = iam.create_service_specific_credential(UserName=user, ServiceName="cassandra.amazonaws.com")
    assert keyspaces["ServiceSpecificCredential"]["ServiceName"] == "cassandra.amazonaws.com"
    assert len(iam.list_service_specific_credentials(UserName=user, ServiceName=CODECOMMIT)[
        "ServiceSpecificCredentials"]) == 2
    assert len(iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]) == 3


def test_supported_but_unused_service_lists_empty(iam, user):
    iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)
    assert iam.list_service_specific_credentials(UserName=user, ServiceName="cassandra.amazonaws.com")[
        "ServiceSpecificCredentials"] == []


@pytest.mark.parametrize("service", ["nonexistentservice.amazonaws.com", "o3on3n3onosneo", "lambda.amazonaws.com"])
def test_unsupported_services(iam, user, service):
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName=user, ServiceName=service)
    assert error_of(excinfo) == unsupported(service)
    with pytest.raises(ClientError) as excinfo:
        iam.list_service_specific_credentials(UserName=user, ServiceName=service)
    assert error_of(excinfo) == unsupported(service)


def test_missing_user_is_reported_before_the_service(iam, unique):
    ghost = unique("ghost")
    with pytest.raises(ClientError) as excinfo:
        iam.create_service_specific_credential(UserName=ghost, ServiceName="lambda.amazonaws.com")
    assert error_of(excinfo) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)


def test_credential_errors_as_recorded(iam, user, unique):
    unknown = "ACCA" + "A" * 17
    ghost = unique("ghost")
    calls = {
        "reset": lambda name, cred: iam.reset_service_specific_credential(
            UserName=name, ServiceSpecificCredentialId=cred),
        "update": lambda name, cred: iam.update_service_specific_credential(
            UserName=name, ServiceSpecificCredentialId=cred, Status="Active"),
        "delete": lambda name, cred: iam.delete_service_specific_credential(
            UserName=name, ServiceSpecificCredentialId=cred),
    }
    for call in calls.values():
        with pytest.raises(ClientError) as excinfo:
            call(user, "ACCA-not-a-valid-id-at-all")
        assert error_of(excinfo) == ID_PATTERN_ERROR
        with pytest.raises(ClientError) as excinfo:
            call(user, unknown)
        assert error_of(excinfo) == ("NoSuchEntity", f"No such credential {unknown} exists", 404)
        with pytest.raises(ClientError) as excinfo:
            call(ghost, unknown)
        assert error_of(excinfo) == ("NoSuchEntity", f"The user with name {ghost} cannot be found.", 404)


def test_bad_status_is_a_validation_error(iam, user):
    cred_id = iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"]["ServiceSpecificCredentialId"]
    with pytest.raises(ClientError) as excinfo:
        iam.update_service_specific_credential(UserName=user, ServiceSpecificCredentialId=cred_id, Status="Invalid")
    assert error_of(excinfo) == ("ValidationError", "1 validation error detected: Value at 'status' failed to "
                                 "satisfy constraint: Member must satisfy enum value set", 400)


def test_service_user_name_keeps_the_old_name_and_blocks_deletion(iam, user):
    created = iam.create_service_specific_credential(UserName=user, ServiceName=CODECOMMIT)[
        "ServiceSpecificCredential"]
    renamed = user + "-r"
    iam.update_user(UserName=user, NewUserName=renamed)
    (listed,) = iam.list_service_specific_credentials(UserName=renamed)["ServiceSpecificCredentials"]
    assert listed["UserName"] == renamed and listed["ServiceUserName"] == f"{user}-at-{ACCOUNT_ID}"
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=renamed)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must remove referenced objects first.", 409)
    iam.delete_service_specific_credential(UserName=renamed,
                                           ServiceSpecificCredentialId=created["ServiceSpecificCredentialId"])
    iam.delete_user(UserName=renamed)


def test_bedrock_api_keys_have_an_alias_and_a_secret(iam, user):
    created = iam.create_service_specific_credential(UserName=user, ServiceName="bedrock.amazonaws.com")[
        "ServiceSpecificCredential"]
    assert created["ServiceCredentialAlias"] == f"{user}-at-{ACCOUNT_ID}"
    assert created["ServiceCredentialSecret"] and "ServicePassword" not in created
    (listed,) = iam.list_service_specific_credentials(UserName=user)["ServiceSpecificCredentials"]
    assert "ServiceCredentialSecret" not in listed and listed["ServiceCredentialAlias"] == created[
        "ServiceCredentialAlias"]


def test_all_users_and_the_callers_own(server, iam, new_user):
    name, key_id, secret = new_user()
    iam.create_service_specific_credential(UserName=name, ServiceName=CODECOMMIT)
    every = iam.list_service_specific_credentials(AllUsers=True)["ServiceSpecificCredentials"]
    assert name in {entry["UserName"] for entry in every}
    iam.put_user_policy(UserName=name, PolicyName="creds", PolicyDocument=(
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iam:*ServiceSpecificCredential*",'
        '"Resource":"*"}]}'))
    own = client(server, "iam", key_id, secret)
    (mine,) = own.list_service_specific_credentials()["ServiceSpecificCredentials"]
    assert mine["UserName"] == name
    own.delete_service_specific_credential(ServiceSpecificCredentialId=mine["ServiceSpecificCredentialId"])


def test_through_the_aws_cli(server, user):
    created = aws_json(server, "iam", "create-service-specific-credential", "--user-name", user,
                       "--service-name", CODECOMMIT)["ServiceSpecificCredential"]
    assert created["ServicePassword"]
    listed = aws_json(server, "iam", "list-service-specific-credentials", "--user-name", user)
    assert [c["ServiceSpecificCredentialId"] for c in listed["ServiceSpecificCredentials"]] == [
        created["ServiceSpecificCredentialId"]]
