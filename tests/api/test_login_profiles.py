"""Login profiles (console passwords): lifecycle, AWS's errors, the password policy enforced, argon2id at rest."""

from pathlib import Path

import pytest
import sqlalchemy
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of, run_aws

GOOD = "Corr3ct-Horse!"


@pytest.fixture
def fresh_iam(server, new_account):
    """An IAM client for a fresh account: its password policy is ours alone."""
    account = new_account()
    return client(server, "iam", account["aws_access_key_id"], account["aws_secret_access_key"])


def _stored_hash(server, user_name: str) -> str:
    url = server.database_url or f"sqlite:///{Path(server.data_dir) / 'iamd.db'}"
    engine = sqlalchemy.create_engine(url.replace("postgresql://", "postgresql+psycopg://"))
    try:
        with engine.connect() as conn:
            return conn.execute(sqlalchemy.text(
                "SELECT p.password_hash FROM login_profiles p JOIN users u ON u.id = p.user_id "
                "WHERE u.name = :name"), {"name": user_name}).scalar_one()
    finally:
        engine.dispose()


def test_lifecycle(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    created = iam.create_login_profile(UserName=name, Password=GOOD, PasswordResetRequired=True)["LoginProfile"]
    assert created["UserName"] == name and created["PasswordResetRequired"] is True
    fetched = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert fetched == created
    iam.update_login_profile(UserName=name, PasswordResetRequired=False)
    assert iam.get_login_profile(UserName=name)["LoginProfile"]["PasswordResetRequired"] is False
    iam.update_login_profile(UserName=name, Password="An0ther-Pass!")
    after = iam.get_login_profile(UserName=name)["LoginProfile"]
    assert after["PasswordResetRequired"] is False and after["CreateDate"] == created["CreateDate"]
    iam.delete_login_profile(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        iam.get_login_profile(UserName=name)
    assert error_of(excinfo) == ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)


def test_password_reset_required_defaults_to_false(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    assert iam.create_login_profile(UserName=name, Password=GOOD)["LoginProfile"]["PasswordResetRequired"] is False


def test_password_is_argon2id_in_the_store_and_never_in_clear(server, iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=GOOD)
    first = _stored_hash(server, name)
    assert first.startswith("$argon2id$") and GOOD not in first
    iam.update_login_profile(UserName=name, Password=GOOD)
    second = _stored_hash(server, name)
    assert second.startswith("$argon2id$") and second != first  # a fresh salt each time
    assert GOOD not in server.log_text()


def test_errors(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    cases = [
        (lambda: iam.create_login_profile(UserName="nobody-here", Password=GOOD),
         ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)),
        (lambda: iam.get_login_profile(UserName=name),
         ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)),
        (lambda: iam.update_login_profile(UserName=name, Password=GOOD),
         ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)),
        (lambda: iam.delete_login_profile(UserName=name),
         ("NoSuchEntity", f"Login Profile for User {name} cannot be found.", 404)),
        (lambda: iam.delete_login_profile(UserName="nobody-here"),
         ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)),
        (lambda: iam.get_login_profile(UserName="nobody-here"),
         ("NoSuchEntity", "The user with name nobody-here cannot be found.", 404)),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert error_of(excinfo) == expected
    iam.create_login_profile(UserName=name, Password=GOOD)
    with pytest.raises(ClientError) as excinfo:
        iam.create_login_profile(UserName=name, Password=GOOD)
    assert error_of(excinfo) == ("EntityAlreadyExists", f"Login Profile for user {name} already exists.", 409)


def test_user_with_a_login_profile_cannot_be_deleted(iam, unique):
    name = unique()
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password=GOOD)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_user(UserName=name)
    assert error_of(excinfo) == ("DeleteConflict", "Cannot delete entity, must delete login profile first.", 409)
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)


def test_login_profile_follows_a_renamed_user(iam, unique):
    old, new = unique("old"), unique("new")
    iam.create_user(UserName=old)
    iam.create_login_profile(UserName=old, Password=GOOD)
    iam.update_user(UserName=old, NewUserName=new)
    assert iam.get_login_profile(UserName=new)["LoginProfile"]["UserName"] == new


def test_without_a_policy_aws_default_rules_apply(fresh_iam, unique):
    name = unique()
    fresh_iam.create_user(UserName=name)
    with pytest.raises(ClientError) as excinfo:
        fresh_iam.create_login_profile(UserName=name, Password="abc")
    code, message, status = error_of(excinfo)
    assert (code, status) == ("PasswordPolicyViolation", 400)
    assert message.startswith("Password should have a minimum length of 8; ")
    fresh_iam.create_login_profile(UserName=name, Password="Abcdefg1")


# (policy parameter, a password that breaks only that rule, AWS's message)
RULES = [
    ({"MinimumPasswordLength": 12}, "Abcdef1!xyz", "Password should have a minimum length of 12"),
    ({"RequireUppercaseCharacters": True}, "abcdef1!", "Password should have at least one uppercase letter"),
    ({"RequireLowercaseCharacters": True}, "ABCDEF1!", "Password should have at least one lowercase letter"),
    ({"RequireNumbers": True}, "Abcdefg!", "Password should have at least one number"),
    ({"RequireSymbols": True}, "Abcdefg1.~", "Password should have at least one symbol"),
]


def test_policy_enforced_rule_by_rule(fresh_iam, unique):
    name = unique()
    fresh_iam.create_user(UserName=name)
    fresh_iam.create_login_profile(UserName=name, Password=GOOD)
    for setting, bad, message in RULES:
        fresh_iam.update_account_password_policy(**setting)
        for call in (lambda bad=bad: fresh_iam.update_login_profile(UserName=name, Password=bad),
                     lambda bad=bad: fresh_iam.create_login_profile(UserName=unique_user(fresh_iam, unique),
                                                                    Password=bad)):
            with pytest.raises(ClientError) as excinfo:
                call()
            assert error_of(excinfo) == ("PasswordPolicyViolation", message, 400)
        fresh_iam.update_login_profile(UserName=name, Password=GOOD + "Zz9")


def unique_user(iam, unique) -> str:
    name = unique("pp")
    iam.create_user(UserName=name)
    return name


def test_policy_reports_every_failure_at_once(fresh_iam, unique):
    name = unique_user(fresh_iam, unique)
    fresh_iam.update_account_password_policy(MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True,
                                             RequireUppercaseCharacters=True, RequireLowercaseCharacters=True)
    with pytest.raises(ClientError) as excinfo:
        fresh_iam.create_login_profile(UserName=name, Password="abc")
    assert error_of(excinfo) == (
        "PasswordPolicyViolation",
        "Password should have a minimum length of 10; Password should have at least one uppercase letter; "
        "Password should have at least one number; Password should have at least one symbol", 400)
    fresh_iam.create_login_profile(UserName=name, Password="Abcdefgh1'")  # ' is one of IAM's symbols


def test_a_weak_policy_allows_short_passwords(fresh_iam, unique):
    name = unique_user(fresh_iam, unique)
    fresh_iam.update_account_password_policy()
    fresh_iam.create_login_profile(UserName=name, Password="abcdef")


def test_through_the_aws_cli(server, unique):
    name = unique("cli")
    aws_json(server, "iam", "create-user", "--user-name", name)
    created = aws_json(server, "iam", "create-login-profile", "--user-name", name, "--password", GOOD,
                       "--password-reset-required")["LoginProfile"]
    assert created["UserName"] == name and created["PasswordResetRequired"] is True
    assert aws_json(server, "iam", "get-login-profile", "--user-name", name)["LoginProfile"]["UserName"] == name
    done = run_aws(server, "iam", "create-login-profile", "--user-name", name, "--password", GOOD)
    assert done.returncode != 0
    assert f"(EntityAlreadyExists) when calling the CreateLoginProfile operation: Login Profile for user {name} " \
           "already exists." in done.stderr
    assert GOOD not in done.stderr
    aws_json(server, "iam", "delete-login-profile", "--user-name", name)
