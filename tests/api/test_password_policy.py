"""The account password policy: AWS's defaults, replacement on update, ExpirePasswords, its two not-found messages."""

import pytest
from botocore.exceptions import ClientError

from tests.api.conftest import aws_json, client, error_of, run_aws


@pytest.fixture
def account(server, new_account):
    """A fresh account: (its id, an IAM client with its root key, its root key pair)."""
    fresh = new_account()
    key = (fresh["aws_access_key_id"], fresh["aws_secret_access_key"])
    return fresh["account_id"], client(server, "iam", *key), key


DEFAULTS = {
    "MinimumPasswordLength": 6, "RequireSymbols": False, "RequireNumbers": False,
    "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
    "AllowUsersToChangePassword": False, "ExpirePasswords": False,
}


def test_no_policy_yet(account):
    account_id, iam, _ = account
    with pytest.raises(ClientError) as excinfo:
        iam.get_account_password_policy()
    assert error_of(excinfo) == (
        "NoSuchEntity", f"The Password Policy with domain name {account_id} cannot be found.", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_account_password_policy()
    assert error_of(excinfo) == ("NoSuchEntity", "The account policy with name PasswordPolicy cannot be found.", 404)


def test_update_without_parameters_sets_the_defaults(account):
    _, iam, _ = account
    iam.update_account_password_policy()
    assert iam.get_account_password_policy()["PasswordPolicy"] == DEFAULTS


def test_custom_values(account):
    _, iam, _ = account
    iam.update_account_password_policy(
        MinimumPasswordLength=10, RequireSymbols=True, RequireNumbers=True, RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True, AllowUsersToChangePassword=True, MaxPasswordAge=60,
        PasswordReusePrevention=3, HardExpiry=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {
        "MinimumPasswordLength": 10, "RequireSymbols": True, "RequireNumbers": True,
        "RequireUppercaseCharacters": True, "RequireLowercaseCharacters": True,
        "AllowUsersToChangePassword": True, "ExpirePasswords": True, "MaxPasswordAge": 60,
        "PasswordReusePrevention": 3, "HardExpiry": True}


def test_update_replaces_the_whole_policy(account):
    _, iam, _ = account
    iam.update_account_password_policy(MinimumPasswordLength=20, RequireSymbols=True, MaxPasswordAge=30,
                                       PasswordReusePrevention=5, HardExpiry=True)
    iam.update_account_password_policy(RequireNumbers=True)
    assert iam.get_account_password_policy()["PasswordPolicy"] == {**DEFAULTS, "RequireNumbers": True}


def test_hard_expiry_false_is_shown(account):
    _, iam, _ = account
    iam.update_account_password_policy(MaxPasswordAge=90, HardExpiry=False)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert policy["ExpirePasswords"] is True and policy["MaxPasswordAge"] == 90 and policy["HardExpiry"] is False


def test_delete(account):
    account_id, iam, _ = account
    iam.update_account_password_policy(MinimumPasswordLength=8)
    iam.delete_account_password_policy()
    with pytest.raises(ClientError) as excinfo:
        iam.get_account_password_policy()
    assert error_of(excinfo) == (
        "NoSuchEntity", f"The Password Policy with domain name {account_id} cannot be found.", 404)
    with pytest.raises(ClientError) as excinfo:
        iam.delete_account_password_policy()
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_out_of_range_values(account):
    _, iam, _ = account
    with pytest.raises(ClientError) as excinfo:
        iam.update_account_password_policy(MaxPasswordAge=1096, MinimumPasswordLength=129,
                                           PasswordReusePrevention=25)
    assert error_of(excinfo) == (
        "ValidationError",
        "3 validation errors detected: Value at 'minimumPasswordLength' failed to satisfy constraint: Member must "
        "have value less than or equal to 128; Value at 'passwordReusePrevention' failed to satisfy constraint: "
        "Member must have value less than or equal to 24; Value at 'maxPasswordAge' failed to satisfy constraint: "
        "Member must have value less than or equal to 1095", 400)
    with pytest.raises(ClientError) as excinfo:
        iam.get_account_password_policy()
    assert error_of(excinfo)[0] == "NoSuchEntity"  # nothing was stored


def test_accounts_do_not_share_a_policy(server, account, new_account):
    _, iam, _ = account
    iam.update_account_password_policy(MinimumPasswordLength=40)
    other = new_account()
    other_iam = client(server, "iam", other["aws_access_key_id"], other["aws_secret_access_key"])
    with pytest.raises(ClientError) as excinfo:
        other_iam.get_account_password_policy()
    assert error_of(excinfo)[0] == "NoSuchEntity"


def test_through_the_aws_cli(server, account):
    account_id, _, (key_id, secret) = account
    aws_json(server, "iam", "update-account-password-policy", "--minimum-password-length", "14",
             "--require-symbols", "--max-password-age", "90", key_id=key_id, secret=secret)
    policy = aws_json(server, "iam", "get-account-password-policy", key_id=key_id, secret=secret)["PasswordPolicy"]
    assert policy == {**DEFAULTS, "MinimumPasswordLength": 14, "RequireSymbols": True, "ExpirePasswords": True,
                      "MaxPasswordAge": 90}
    aws_json(server, "iam", "delete-account-password-policy", key_id=key_id, secret=secret)
    done = run_aws(server, "iam", "get-account-password-policy", key_id=key_id, secret=secret)
    assert done.returncode != 0
    assert f"(NoSuchEntity) when calling the GetAccountPasswordPolicy operation: The Password Policy with " \
           f"domain name {account_id} cannot be found." in done.stderr
