"""Concurrent creates of one name: exactly one wins, the others get EntityAlreadyExists (across two
processes: test_processes.py)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError

from tests.api.concurrency.burst import burst, tally
from tests.api.conftest import client, error_of


def race(clients, name: str) -> list[str]:
    def attempt(iam) -> str:
        try:
            iam.create_user(UserName=name)
            return "created"
        except ClientError as error:
            return error.response["Error"]["Code"]

    with ThreadPoolExecutor(max_workers=len(clients)) as pool:
        return list(pool.map(attempt, clients))


def test_one_winner_on_one_server(server, unique):
    name = unique("race")
    outcomes = race([client(server, "iam") for _ in range(12)], name)
    assert outcomes.count("created") == 1
    assert outcomes.count("EntityAlreadyExists") == 11
    with pytest.raises(ClientError) as excinfo:
        client(server, "iam").create_user(UserName=name)
    assert error_of(excinfo)[0] == "EntityAlreadyExists"


TRUST = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},'
         '"Action":"sts:AssumeRole"}]}')
POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}'

# Each Create* raced 10 times at once: (call, AWS's EntityAlreadyExists message), from aws-recorded-errors.md.
CREATES = {
    "group": (lambda c, n: c.create_group(GroupName=n), "Group with name {} already exists."),
    "role": (lambda c, n: c.create_role(RoleName=n, AssumeRolePolicyDocument=TRUST),
             "Role with name {} already exists."),
    "policy": (lambda c, n: c.create_policy(PolicyName=n, PolicyDocument=POLICY),
               "A policy called {} already exists. Duplicate names are not allowed."),
    "instance-profile": (lambda c, n: c.create_instance_profile(InstanceProfileName=n),
                         "Instance Profile {} already exists."),
    "virtual-mfa": (lambda c, n: c.create_virtual_mfa_device(VirtualMFADeviceName=n), "MFA device already exists."),
}


@pytest.mark.parametrize("kind", sorted(CREATES))
def test_each_create_has_one_winner(server, unique, kind):
    create, message = CREATES[kind]
    name = unique("race")
    outcomes = burst(server, [lambda c: create(c, name)] * 10)
    assert tally(outcomes) == {("ok",): 1, ("EntityAlreadyExists", message.format(name), 409): 9}


def test_create_login_profile_has_one_winner(server, iam, unique):
    user = unique("race")
    iam.create_user(UserName=user)
    outcomes = burst(server, [lambda c: c.create_login_profile(UserName=user, Password="Correct-Horse-9-battery")] * 10)
    taken = ("EntityAlreadyExists", f"Login Profile for user {user} already exists.", 409)
    assert tally(outcomes) == {("ok",): 1, taken: 9}
