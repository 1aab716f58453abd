"""The pytest plugin iamd installs for other projects: a user's test suite, run as pytest runs it."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.xdist_group("lifecycle")

USER_SUITE = textwrap.dedent('''
    import json
    import boto3
    import pytest
    from botocore.exceptions import ClientError

    def test_a_user_made_here_exists_here(iamd_env):
        iam = boto3.client("iam")
        iam.create_user(UserName="alice")
        assert [u["UserName"] for u in iam.list_users()["Users"]] == ["alice"]

    def test_the_next_test_starts_clean(iamd_env, iamd_account):
        assert boto3.client("iam").list_users()["Users"] == []
        assert boto3.client("sts").get_caller_identity()["Account"] == iamd_account.account_id

    def test_policies_are_enforced(iamd, iamd_account):
        root = boto3.client("iam", **iamd.client_kwargs(iamd_account))
        root.create_user(UserName="reader")
        key = root.create_access_key(UserName="reader")["AccessKey"]
        root.put_user_policy(UserName="reader", PolicyName="read", PolicyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "iam:Get*", "Resource": "*"}]}))
        reader = boto3.client("iam", endpoint_url=iamd.endpoint_url, region_name="us-east-1",
                              aws_access_key_id=key["AccessKeyId"], aws_secret_access_key=key["SecretAccessKey"])
        assert reader.get_user(UserName="reader")["User"]["UserName"] == "reader"
        with pytest.raises(ClientError) as refused:
            reader.create_user(UserName="mallory")
        assert refused.value.response["Error"]["Code"] == "AccessDenied"
''')


def run_user_suite(folder) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "test_user_suite.py"],
                          cwd=folder, capture_output=True, text=True, timeout=180,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(folder)})


def test_a_users_suite_gets_a_real_enforcing_iamd_and_a_clean_account_per_test(tmp_path):
    (tmp_path / "test_user_suite.py").write_text(USER_SUITE)
    first = run_user_suite(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "3 passed" in first.stdout
    # The first session kept a started store in pytest's cache; the next one starts from it.
    template = tmp_path / ".pytest_cache" / "d" / "iamd-template"
    assert (template / "iamd.db").exists() and (template / "master.key").exists()
    second = run_user_suite(tmp_path)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "3 passed" in second.stdout
