"""security.password_rules: one rule per password-policy field, every failure reported, in order."""

from datetime import UTC, datetime, timedelta

import pytest

from iamd.security import password_rules as rules, passwords
from iamd.security.password_rules import PasswordPolicy

FULL = PasswordPolicy(minimum_password_length=10, require_symbols=True, require_numbers=True,
                      require_uppercase_characters=True, require_lowercase_characters=True)

# (rule, password, failure code or None)
CASES = [
    (rules.MinimumPasswordLength(8), "1234567", "password_too_short"),
    (rules.MinimumPasswordLength(8), "12345678", None),
    (rules.RequireUppercaseCharacters(), "abc", "password_no_uppercase"),
    (rules.RequireUppercaseCharacters(), "aBc", None),
    (rules.RequireUppercaseCharacters(), "\u00c9t\u00e9", "password_no_uppercase"),  # only A-Z counts
    (rules.RequireLowercaseCharacters(), "ABC", "password_no_lowercase"),
    (rules.RequireLowercaseCharacters(), "ABc", None),
    (rules.RequireNumbers(), "abc", "password_no_number"),
    (rules.RequireNumbers(), "ab9", None),
    (rules.RequireSymbols(), "abc", "password_no_symbol"),
    (rules.RequireSymbols(), "abc.,~`:;\"<>?/\\", "password_no_symbol"),  # punctuation outside IAM's set
    *[(rules.RequireSymbols(), f"abc{symbol}", None) for symbol in "!@#$%^&*()_+-=[]{}|'"],
    (rules.ThreeCharacterClasses(), "abcdefgh", "password_too_simple"),
    (rules.ThreeCharacterClasses(), "abcdEFGH", "password_too_simple"),
    (rules.ThreeCharacterClasses(), "abcdEFG1", None),
    (rules.ThreeCharacterClasses(), "abcd!@#1", None),
]


@pytest.mark.parametrize(("rule", "password", "code"), CASES)
def test_rule(rule, password, code):
    failure = rule.validate(password)
    assert (failure.code if failure else None) == code


def test_messages():
    assert rules.MinimumPasswordLength(12).validate("x").message == "Password should have a minimum length of 12"
    upper, lower = rules.RequireUppercaseCharacters(), rules.RequireLowercaseCharacters()
    assert upper.validate("x").message == "Password should have at least one uppercase letter"
    assert lower.validate("X").message == "Password should have at least one lowercase letter"
    assert rules.RequireNumbers().validate("x").message == "Password should have at least one number"
    assert rules.RequireSymbols().validate("x").message == "Password should have at least one symbol"


def test_every_failure_in_order_and_one_joined_message():
    failures = rules.check_password("abc", FULL)
    assert [f.code for f in failures] == ["password_too_short", "password_no_uppercase", "password_no_number",
                                          "password_no_symbol"]
    assert rules.violation_message(failures) == (
        "Password should have a minimum length of 10; Password should have at least one uppercase letter; "
        "Password should have at least one number; Password should have at least one symbol")
    assert rules.check_password("Abcdefgh1!", FULL) == []


def test_without_a_policy_aws_default_rules_apply():
    assert [f.code for f in rules.check_password("abc", None)] == ["password_too_short", "password_too_simple"]
    assert rules.check_password("Abcdefg1", None) == []


def test_a_policy_of_defaults_only_wants_six_characters():
    policy = PasswordPolicy.from_params({})
    assert [f.code for f in rules.check_password("abcde", policy)] == ["password_too_short"]
    assert rules.check_password("abcdef", policy) == []


def test_policy_round_trip_and_defaults():
    params = {"MinimumPasswordLength": 10, "RequireSymbols": True, "MaxPasswordAge": 90,
              "PasswordReusePrevention": 3, "HardExpiry": False}
    policy = PasswordPolicy.from_params(params)
    assert policy.to_params() == {
        "MinimumPasswordLength": 10, "RequireSymbols": True, "RequireNumbers": False,
        "RequireUppercaseCharacters": False, "RequireLowercaseCharacters": False,
        "AllowUsersToChangePassword": False, "MaxPasswordAge": 90, "PasswordReusePrevention": 3,
        "HardExpiry": False}
    assert PasswordPolicy.from_params(policy.to_params()) == policy
    assert policy.expire_passwords is True
    assert PasswordPolicy().expire_passwords is False
    assert "MaxPasswordAge" not in PasswordPolicy().to_params()


def test_policy_rules_one_per_field():
    policy = PasswordPolicy(minimum_password_length=8, require_numbers=True, max_password_age=30,
                            password_reuse_prevention=2, hard_expiry=True, allow_users_to_change_password=True)
    assert policy.rules() == (rules.MinimumPasswordLength(8), rules.RequireNumbers(),
                              rules.PasswordReusePrevention(2), rules.MaxPasswordAge(30), rules.HardExpiry(True),
                              rules.AllowUsersToChangePassword(True))


def test_reuse_prevention_checks_the_newest_hashes_only():
    history = [passwords.hash_password(p) for p in ("third", "second", "first")]  # newest first
    rule = rules.PasswordReusePrevention(2)
    assert rule.validate("second", history).code == "password_reused"
    assert rule.validate("first", history) is None
    assert rule.validate("new", history) is None
    assert rule.validate("second") is None  # no history given: nothing to compare
    policy = PasswordPolicy(password_reuse_prevention=2)
    assert [f.code for f in rules.check_password("third!", policy, [passwords.hash_password("third!")])] == [
        "password_reused"]


def test_max_password_age():
    rule = rules.MaxPasswordAge(30)
    changed = datetime(2025, 1, 1, tzinfo=UTC)
    assert rule.expires_at(changed) == changed + timedelta(days=30)
    assert not rule.is_expired(changed, changed + timedelta(days=29))
    assert rule.is_expired(changed, changed + timedelta(days=30))
    assert rule.validate("anything") is None


def test_help_texts_for_the_console():
    texts = rules.help_texts(FULL)
    assert texts[0] == "Must be at least 10 characters long."
    assert any("! @ # $ % ^ & * ( ) _ + - = [ ] { } | '" in text for text in texts)
    assert len(texts) == 6  # length, four classes, AllowUsersToChangePassword
    assert rules.help_texts(None)[0] == "Must be at least 8 characters long."
    assert rules.HardExpiry(True).help_text() and rules.AllowUsersToChangePassword(False).help_text()
    assert rules.PasswordReusePrevention(1).help_text() == "Must not be the same as your previous password."
