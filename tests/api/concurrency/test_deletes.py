"""A delete racing an add to the same entity (or two adds of one thing): one wins cleanly, never a 500,
never an orphan.

DeleteUser answers DeleteConflict while the user still has access keys, and CreateAccessKey answers
NoSuchEntity for a user that is gone (aws-recorded-errors.md); which one wins depends on who came first.
"""

from __future__ import annotations

import json

from tests.api.concurrency.burst import burst

ROUNDS = 4


def no_server_error(outcomes) -> bool:
    return all(outcome == ("ok",) or outcome[2] < 500 for outcome in outcomes)


def test_delete_user_racing_create_access_key(server, iam, unique):
    for _ in range(ROUNDS):
        user = unique("gone")
        iam.create_user(UserName=user)
        delete, *creates = burst(server, [lambda c, user=user: c.delete_user(UserName=user)]
                                 + [lambda c, user=user: c.create_access_key(UserName=user)] * 3)
        assert no_server_error([delete, *creates]), [delete, *creates]
        made = creates.count(("ok",))
        if delete == ("ok",):
            assert made == 0 and all(c[0] == "NoSuchEntity" for c in creates), creates
        else:
            assert delete[:2] == ("DeleteConflict", "Cannot delete entity, must delete access keys first.")
            assert len(iam.list_access_keys(UserName=user)["AccessKeyMetadata"]) == made >= 1


def test_delete_policy_racing_attach(server, iam, unique):
    document = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                                  "Resource": "*"}]})
    user = unique("holder")
    iam.create_user(UserName=user)
    for _ in range(ROUNDS):
        arn = iam.create_policy(PolicyName=unique("doomed"), PolicyDocument=document)["Policy"]["Arn"]
        delete, *attaches = burst(server, [lambda c, arn=arn: c.delete_policy(PolicyArn=arn)]
                                  + [lambda c, arn=arn: c.attach_user_policy(UserName=user, PolicyArn=arn)] * 3)
        assert no_server_error([delete, *attaches]), [delete, *attaches]
        attached = [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName=user)["AttachedPolicies"]]
        if delete == ("ok",):
            assert arn not in attached, "no attachment to a deleted policy"
            assert all(a[0] == "NoSuchEntity" for a in attaches), attaches
        else:
            assert delete[:2] == ("DeleteConflict", "Cannot delete a policy attached to entities.")
            assert arn in attached
            iam.detach_user_policy(UserName=user, PolicyArn=arn)


def test_one_device_enabled_for_two_users_at_once(server, iam, unique):
    """One user gets the device; the other AWS's EntityAlreadyExists, not a code error."""
    from tests.api.test_mfa import codes

    created = iam.create_virtual_mfa_device(VirtualMFADeviceName=unique("shared"))["VirtualMFADevice"]
    serial, seed = created["SerialNumber"], created["Base32StringSeed"].decode()
    users = [unique("mfa-user"), unique("mfa-user")]
    for user in users:
        iam.create_user(UserName=user)
    first, second = codes(seed)
    outcomes = burst(server, [lambda c, u=u: c.enable_mfa_device(
        UserName=u, SerialNumber=serial, AuthenticationCode1=first, AuthenticationCode2=second) for u in users])
    assert sorted(outcomes) == sorted([("ok",), ("EntityAlreadyExists", "MFA Device is already in use.", 409)])
