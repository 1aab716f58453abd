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
