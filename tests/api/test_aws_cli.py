"""The README's first session, through the real aws CLI."""

from __future__ import annotations

from tests.api.conftest import ACCOUNT_ID, aws_json, run_aws


def test_first_session(server, unique):
    name = unique("alice")
    user = aws_json(server, "iam", "create-user", "--user-name", name)["User"]
    assert user["Arn"] == f"arn:aws:iam::{ACCOUNT_ID}:user/{name}"
    key = aws_json(server, "iam", "create-access-key", "--user-name", name)["AccessKey"]
    identity = aws_json(server, "sts", "get-caller-identity",
                        key_id=key["AccessKeyId"], secret=key["SecretAccessKey"])
    assert identity["Arn"] == user["Arn"] and identity["UserId"] == user["UserId"]
    keys = aws_json(server, "iam", "list-access-keys", "--user-name", name)["AccessKeyMetadata"]
    assert [k["AccessKeyId"] for k in keys] == [key["AccessKeyId"]]


def test_cli_pagination_and_tags(server, unique):
    path = f"/{unique('cli')}/"
    names = sorted(unique("u") for _ in range(3))
    for name in names:
        aws_json(server, "iam", "create-user", "--user-name", name, "--path", path, "--tags", "Key=team,Value=blue")
    # The CLI follows Marker itself across pages of one.
    listed = aws_json(server, "iam", "list-users", "--path-prefix", path, "--page-size", "1")
    assert [u["UserName"] for u in listed["Users"]] == names
    tags = aws_json(server, "iam", "list-user-tags", "--user-name", names[0])["Tags"]
    assert tags == [{"Key": "team", "Value": "blue"}]


def test_cli_reports_aws_errors(server, unique):
    name = unique()
    aws_json(server, "iam", "create-user", "--user-name", name)
    # The installed `aws` script, as a process of its own: its exit status and stderr (the other tests run
    # the same CLI code in the test process).
    done = run_aws(server, "iam", "create-user", "--user-name", name, process=True)
    assert done.returncode != 0
    assert (f"An error occurred (EntityAlreadyExists) when calling the CreateUser operation: "
            f"User with name {name} already exists.") in done.stderr
    done = run_aws(server, "iam", "get-user", "--user-name", name, secret="0" * 40)
    assert "SignatureDoesNotMatch" in done.stderr
