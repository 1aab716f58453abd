"""ChangePassword: a user changes their own password, against every rule of the password policy and
against reuse (PasswordReusePrevention), clearing PasswordResetRequired; expiry as the console sees it."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy
from botocore.exceptions import ClientError

from tests.api.conftest import client, error_of, run_aws

CHANGE_POLICY = "arn:aws:iam::aws:policy/IAMUserChangePassword"
START = "Start-Pass-0!"


@pytest.fixture
def account(server, new_account):
    """A fresh account (its password policy is ours alone): its root IAM client."""
    created = new_account()
    return client(server, "iam", created["aws_access_key_id"], created["aws_secret_access_key"])


@pytest.fixture
def user(server, account, unique):
    """A user with a password START (reset required) allowed to change it: (name, their IAM client)."""
    def make(attach: bool = True, password: str | None = START):
        name = unique("user")
        account.create_user(UserName=name)
        if password is not None:
            account.create_login_profile(UserName=name, Password=password, PasswordResetRequired=True)
        if attach:
            account.attach_user_policy(UserName=name, PolicyArn=CHANGE_POLICY)
        key = account.create_access_key(UserName=name)["AccessKey"]
        return name, client(server, "iam", key["AccessKeyId"], key["SecretAccessKey"])
    return make


def _expect(excinfo_call, expected):
    with pytest.raises(ClientError) as excinfo:
        excinfo_call()
    assert error_of(excinfo) == expected


def test_change_own_password(account, user):
    name, me = user()
    before = account.get_login_profile(UserName=name)["LoginProfile"]
    assert before["PasswordResetRequired"] is True
    me.change_password(OldPassword=START, NewPassword="Brand-New-1!")
    after = account.get_login_profile(UserName=name)["LoginProfile"]
    assert after["PasswordResetRequired"] is False and after["CreateDate"] == before["CreateDate"]
    # The new password is now the one to prove; the old one no longer works.
    _expect(lambda: me.change_password(OldPassword=START, NewPassword="Other-New-2!"),
            ("AccessDenied", "The old password is incorrect.", 403))
    me.change_password(OldPassword="Brand-New-1!", NewPassword="Other-New-2!")


def test_errors(account, user):
    _expect(lambda: account.change_password(OldPassword=START, NewPassword="Brand-New-1!"),
            ("InvalidUserType", "Only IAM Users can change their own password.", 400))
    name, me = user(password=None)
    _expect(lambda: me.change_password(OldPassword=START, NewPassword="Brand-New-1!"),
            ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404))
    name, me = user()
    _expect(lambda: me.change_password(OldPassword="Not-The-One-9!", NewPassword="Brand-New-1!"),
            ("AccessDenied", "The old password is incorrect.", 403))
    name, me = user(attach=False)
    with pytest.raises(ClientError) as excinfo:
        me.change_password(OldPassword=START, NewPassword="Brand-New-1!")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("AccessDenied", 403) and "iam:ChangePassword" in message


def test_default_policy_applies_without_an_account_policy(user):
    _, me = user()
    _expect(lambda: me.change_password(OldPassword=START, NewPassword="short1A"),
            ("PasswordPolicyViolation", "Password should have a minimum length of 8", 400))
    _expect(lambda: me.change_password(OldPassword=START, NewPassword="onlylowercase"),
            ("PasswordPolicyViolation", "Password should have at least three of the following: uppercase "
                                        "letters, lowercase letters, numbers and symbols", 400))
    me.change_password(OldPassword=START, NewPassword="Three-classes")


@pytest.mark.parametrize("rule, bad, message", [
    ("MinimumPasswordLength", "Aa1!aaaaaaa", "Password should have a minimum length of 12"),
    ("RequireUppercaseCharacters", "aaaa1!aaaaaa", "Password should have at least one uppercase letter"),
    ("RequireLowercaseCharacters", "AAAA1!AAAAAA", "Password should have at least one lowercase letter"),
    ("RequireNumbers", "Aaaaa!aaaaaa", "Password should have at least one number"),
    ("RequireSymbols", "Aaaaa1aaaaaa", "Password should have at least one symbol"),
])
def test_each_policy_rule(account, user, rule, bad, message):
    settings = {"MinimumPasswordLength": 6, "AllowUsersToChangePassword": True}
    settings[rule] = 12 if rule == "MinimumPasswordLength" else True
    account.update_account_password_policy(**settings)
    _, me = user()
    _expect(lambda: me.change_password(OldPassword=START, NewPassword=bad), ("PasswordPolicyViolation", message, 400))
    me.change_password(OldPassword=START, NewPassword="Good-Enough-12!")


def test_every_failure_at_once(account, user):
    account.update_account_password_policy(MinimumPasswordLength=10, RequireUppercaseCharacters=True,
                                           RequireNumbers=True, RequireSymbols=True)
    _, me = user()
    _expect(lambda: me.change_password(OldPassword=START, NewPassword="lower"), (
        "PasswordPolicyViolation",
        "Password should have a minimum length of 10; Password should have at least one uppercase letter; "
        "Password should have at least one number; Password should have at least one symbol", 400))


def test_reuse_prevention_remembers_the_last_three(account, user):
    account.update_account_password_policy(MinimumPasswordLength=8, PasswordReusePrevention=3)
    name, me = user()
    reused = ("PasswordPolicyViolation", "Password has been used recently and cannot be reused", 400)
    _expect(lambda: me.change_password(OldPassword=START, NewPassword=START), reused)  # the current one
    me.change_password(OldPassword=START, NewPassword="Second-Pass-1!")
    me.change_password(OldPassword="Second-Pass-1!", NewPassword="Third-Pass-2!")
    # Remembered now: Third (current), Second, START.
    for old in (START, "Second-Pass-1!", "Third-Pass-2!"):
        _expect(lambda old=old: me.change_password(OldPassword="Third-Pass-2!", NewPassword=old), reused)
    # An administrator's UpdateLoginProfile is held to the same history.
    _expect(lambda: account.update_login_profile(UserName=name, Password="Second-Pass-1!"), reused)
    me.change_password(OldPassword="Third-Pass-2!", NewPassword="Fourth-Pass-3!")
    # Remembered: Fourth, Third, Second: START may come back.
    me.change_password(OldPassword="Fourth-Pass-3!", NewPassword=START)


def test_reuse_allowed_without_the_rule(account, user):
    account.update_account_password_policy(MinimumPasswordLength=8)
    _, me = user()
    me.change_password(OldPassword=START, NewPassword=START)


def test_allow_users_to_change_password_grants_the_permission(account, user):
    account.update_account_password_policy(MinimumPasswordLength=8, AllowUsersToChangePassword=True)
    _, me = user(attach=False)
    me.change_password(OldPassword=START, NewPassword="Brand-New-1!")


def test_aws_cli(server, user):
    name, me = user()
    key = me._request_signer._credentials
    done = run_aws(server, "iam", "change-password", "--old-password", START, "--new-password", "Cli-Changed-1!",
                   key_id=key.access_key, secret=key.secret_key)
    assert done.returncode == 0, done.stderr
    me.change_password(OldPassword="Cli-Changed-1!", NewPassword="Cli-Changed-2!")


def test_password_expiry_for_the_console(server, account, user):
    from iamd.service.credentials import login_profiles

    account.update_account_password_policy(MinimumPasswordLength=8, MaxPasswordAge=90, HardExpiry=True)
    name, me = user()
    me.change_password(OldPassword=START, NewPassword="Fresh-Pass-1!")
    assert account.get_login_profile(UserName=name)["LoginProfile"]["UserName"] == name  # unaffected
    url = server.database_url or f"sqlite:///{Path(server.data_dir) / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    now = datetime.now(UTC)
    try:
        with engine.connect() as conn:
            user_id, account_id = conn.execute(sqlalchemy.text(
                "SELECT id, account_id FROM users WHERE name = :n"), {"n": name}).one()
            assert login_profiles.password_expired(conn, user_id, now) is False
            assert login_profiles.password_expired(conn, user_id, now + timedelta(days=89)) is False
            assert login_profiles.password_expired(conn, user_id, now + timedelta(days=91)) is True
            assert login_profiles.hard_expiry(conn, account_id) is True
            assert login_profiles.password_expired(conn, "AIDANOSUCHUSER0000000", now) is False
    finally:
        engine.dispose()
