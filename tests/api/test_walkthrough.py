"""The common IAM walkthrough, end to end through the real aws CLI."""

from __future__ import annotations

import json

from tests.api.conftest import aws_json, client, run_aws


def test_everyday_walkthrough(server, new_account, unique):
    account = new_account()
    creds = {"key_id": account["aws_access_key_id"], "secret": account["aws_secret_access_key"]}

    def aws(*args):
        return aws_json(server, *args, **creds)

    group = unique("developers")
    aws("iam", "create-group", "--group-name", group)
    found = aws("iam", "list-policies", "--scope", "AWS", "--query", "Policies[?PolicyName=='PowerUserAccess']")
    assert [policy["Arn"] for policy in found] == ["arn:aws:iam::aws:policy/PowerUserAccess"]
    aws("iam", "attach-group-policy", "--group-name", group, "--policy-arn", found[0]["Arn"])

    user = unique("dev")
    aws("iam", "create-user", "--user-name", user)
    profile = aws("iam", "create-login-profile", "--user-name", user, "--password", "Initial-Pass-123!",
                  "--password-reset-required")["LoginProfile"]
    assert profile["PasswordResetRequired"] is True
    key = aws("iam", "create-access-key", "--user-name", user)["AccessKey"]
    aws("iam", "add-user-to-group", "--user-name", user, "--group-name", group)
    groups = aws("iam", "list-groups-for-user", "--user-name", user)["Groups"]
    assert [g["GroupName"] for g in groups] == [group]
    attached = aws("iam", "list-attached-group-policies", "--group-name", group)["AttachedPolicies"]
    assert attached == [{"PolicyName": "PowerUserAccess", "PolicyArn": found[0]["Arn"]}]
    # PowerUserAccess, through the group: everything but IAM, and of IAM only ListRoles and
    # service-linked roles.
    as_user = client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    done = run_aws(server, "iam", "list-users", key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert done.returncode != 0 and "AccessDenied" in done.stderr
    assert as_user.list_roles()["Roles"] == []

    admin = unique("admin")
    aws("iam", "create-user", "--user-name", admin)
    everything = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    aws("iam", "put-user-policy", "--user-name", admin, "--policy-name", "AllAccess",
        "--policy-document", json.dumps(everything))
    assert aws("iam", "list-user-policies", "--user-name", admin)["PolicyNames"] == ["AllAccess"]
    fetched = aws("iam", "get-user-policy", "--user-name", admin, "--policy-name", "AllAccess")
    assert fetched["PolicyDocument"] == everything

    alias = unique("walk")
    aws("iam", "create-account-alias", "--account-alias", alias)
    assert aws("iam", "list-account-aliases")["AccountAliases"] == [alias]


def test_version_less_admin_user_and_key_rotation(server, iam, unique):
    """The getting-started walkthrough many guides follow: an admin user with an inline all-access
    policy written without Version, its key used, rotated, and its last use read.

    AWS sources: IAM User Guide, "IAM JSON policy elements: Version" (without Version a policy is read
    with the 2008-10-17 rules; CreatePolicy refuses such documents, inline policies are taken) and
    "Update access keys" (create a second key, check the old key's last use, deactivate, delete it).
    """
    everything = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
    user = unique("admin")
    created = aws_json(server, "iam", "create-user", "--user-name", user, "--path", "/")["User"]
    assert created["Path"] == "/" and created["Arn"].endswith(f":user/{user}")
    aws_json(server, "iam", "put-user-policy", "--user-name", user, "--policy-name", "AllAccess",
             "--policy-document", json.dumps(everything))
    fetched = iam.get_user_policy(UserName=user, PolicyName="AllAccess")
    assert fetched["PolicyDocument"] == everything
    first = aws_json(server, "iam", "create-access-key", "--user-name", user)["AccessKey"]

    # Allowed everything: IAM through the CLI and boto3, STS, and creating and removing a group.
    as_cli = {"key_id": first["AccessKeyId"], "secret": first["SecretAccessKey"]}
    assert aws_json(server, "sts", "get-caller-identity", **as_cli)["Arn"] == created["Arn"]
    assert user in [u["UserName"] for u in aws_json(server, "iam", "list-users", **as_cli)["Users"]]
    as_user = client(server, "iam", first["AccessKeyId"], first["SecretAccessKey"])
    group = unique("g")
    as_user.create_group(GroupName=group)
    as_user.delete_group(GroupName=group)
    assert as_user.get_user()["User"]["UserName"] == user

    # Rotation, as the user itself: a second key, the first one's last use, then deactivate and delete.
    second = as_user.create_access_key()["AccessKey"]
    assert second["UserName"] == user and second["Status"] == "Active"
    used = aws_json(server, "iam", "get-access-key-last-used", "--access-key-id", first["AccessKeyId"])
    assert used["UserName"] == user
    assert used["AccessKeyLastUsed"]["ServiceName"] == "iam" and used["AccessKeyLastUsed"]["Region"] == "us-east-1"
    assert "LastUsedDate" in used["AccessKeyLastUsed"]
    as_new = client(server, "iam", second["AccessKeyId"], second["SecretAccessKey"], region="eu-west-1")
    as_new.update_access_key(AccessKeyId=first["AccessKeyId"], Status="Inactive")
    done = run_aws(server, "iam", "list-users", **as_cli)
    assert done.returncode != 0 and "InvalidClientTokenId" in done.stderr
    as_new.delete_access_key(AccessKeyId=first["AccessKeyId"])
    keys = aws_json(server, "iam", "list-access-keys", "--user-name", user)["AccessKeyMetadata"]
    assert [(k["AccessKeyId"], k["Status"]) for k in keys] == [(second["AccessKeyId"], "Active")]
    latest = iam.get_access_key_last_used(AccessKeyId=second["AccessKeyId"])
    assert latest["UserName"] == user
    assert (latest["AccessKeyLastUsed"]["ServiceName"], latest["AccessKeyLastUsed"]["Region"]) == ("iam", "eu-west-1")
