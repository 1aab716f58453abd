"""The account password policy as rules: one small class per field of IAM's ``PasswordPolicy``.

The idea is Django's ``password_validation.py``: each rule is an object with ``validate(password)`` and
``help_text()``; ``check_password`` runs every rule that applies and returns every failure, in a stable
order, so that CreateLoginProfile, UpdateLoginProfile and ChangePassword answer with all of them
at once and the console can list the help texts beside the password field. Each failure has a stable
``code`` beside its human message.

Rules that do not judge a password's text still live here, so that the policy has one vocabulary:
``MaxPasswordAge`` and ``HardExpiry`` answer expiry questions, ``AllowUsersToChangePassword`` whether a
user may change their own password, and ``PasswordReusePrevention`` judges a password against the
user's previous password hashes, which the caller passes in (newest first).

Without an account policy, AWS applies its default one (``DEFAULT_RULES``): at least 8 characters and
three of the four character classes. Standard library only, apart from ``security.passwords`` for the
reuse check.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from iamd.security import passwords

# IAM's symbols: "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '". Other punctuation is allowed in a password
# but does not count as a symbol.
SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_DIGITS = frozenset("0123456789")

DEFAULT_MINIMUM_LENGTH = 6  # what UpdateAccountPasswordPolicy sets when MinimumPasswordLength is omitted
MESSAGE_SEPARATOR = "; "


@dataclass(frozen=True, slots=True)
class Failure:
    code: str
    message: str


class Rule:
    """One field of the password policy. ``validate`` returns a Failure or None."""

    code = ""

    def validate(self, password: str) -> Failure | None:
        return None

    def help_text(self) -> str:
        raise NotImplementedError


@dataclass(frozen=True, slots=True)
class MinimumPasswordLength(Rule):
    length: int
    code = "password_too_short"

    def validate(self, password: str) -> Failure | None:
        if len(password) < self.length:
            return Failure(self.code, f"Password should have a minimum length of {self.length}")
        return None

    def help_text(self) -> str:
        return f"Must be at least {self.length} characters long."


class _CharacterClass(Rule):
    characters: frozenset = frozenset()
    message = ""
    help = ""

    def validate(self, password: str) -> Failure | None:
        if any(char in self.characters for char in password):
            return None
        return Failure(self.code, self.message)

    def help_text(self) -> str:
        return self.help

    def __eq__(self, other) -> bool:
        return type(self) is type(other)

    def __hash__(self) -> int:
        return hash(type(self))

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class RequireUppercaseCharacters(_CharacterClass):
    code, characters = "password_no_uppercase", _UPPER
    message = "Password should have at least one uppercase letter"
    help = "Must include at least one uppercase letter from the Latin alphabet (A-Z)."


class RequireLowercaseCharacters(_CharacterClass):
    code, characters = "password_no_lowercase", _LOWER
    message = "Password should have at least one lowercase letter"
    help = "Must include at least one lowercase letter from the Latin alphabet (a-z)."


class RequireNumbers(_CharacterClass):
    code, characters = "password_no_number", _DIGITS
    message = "Password should have at least one number"
    help = "Must include at least one number (0-9)."


class RequireSymbols(_CharacterClass):
    code, characters = "password_no_symbol", SYMBOLS
    message = "Password should have at least one symbol"
    help = "Must include at least one of these symbols: ! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"


@dataclass(frozen=True, slots=True)
class ThreeCharacterClasses(Rule):
    """Part of AWS's default policy: three of uppercase, lowercase, numbers and symbols."""

    code = "password_too_simple"
    _CLASSES = (_UPPER, _LOWER, _DIGITS, SYMBOLS)

    def validate(self, password: str) -> Failure | None:
        present = sum(1 for chars in self._CLASSES if any(c in chars for c in password))
        if present >= 3:
            return None
        return Failure(self.code, "Password should have at least three of the following: uppercase letters, "
                                  "lowercase letters, numbers and symbols")

    def help_text(self) -> str:
        return ("Must include at least three of: uppercase letters, lowercase letters, numbers and "
                "symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ').")


@dataclass(frozen=True, slots=True)
class PasswordReusePrevention(Rule):
    """The last ``count`` passwords may not be used again. The caller supplies the hashes (newest first)."""

    count: int
    code = "password_reused"

    def remembered(self, history: Sequence[str]) -> Sequence[str]:
        """The hashes this rule compares against: the newest ``count`` of ``history``."""
        return history[: self.count]

    def validate(self, password: str, history: Sequence[str] = ()) -> Failure | None:
        for encoded in self.remembered(history):
            if passwords.verify(password, encoded)[0]:
                return Failure(self.code, "Password has been used recently and cannot be reused")
        return None

    def help_text(self) -> str:
        noun = "password" if self.count == 1 else f"{self.count} passwords"
        return f"Must not be the same as your previous {noun}."


@dataclass(frozen=True, slots=True)
class MaxPasswordAge(Rule):
    days: int
    code = "password_expired"

    def expires_at(self, changed_at: datetime) -> datetime:
        return changed_at + timedelta(days=self.days)

    def is_expired(self, changed_at: datetime, now: datetime) -> bool:
        return now >= self.expires_at(changed_at)

    def help_text(self) -> str:
        return f"Passwords expire {self.days} day{'s' if self.days != 1 else ''} after they are set."


@dataclass(frozen=True, slots=True)
class HardExpiry(Rule):
    enabled: bool

    def help_text(self) -> str:
        if self.enabled:
            return "After a password expires, only an administrator can set a new one."
        return "After a password expires, you choose a new one when you next sign in."


@dataclass(frozen=True, slots=True)
class AllowUsersToChangePassword(Rule):
    enabled: bool

    def help_text(self) -> str:
        if self.enabled:
            return "You can change your own password."
        return "Only an administrator can change your password."


DEFAULT_RULES: tuple[Rule, ...] = (MinimumPasswordLength(8), ThreeCharacterClasses())


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The account password policy, as UpdateAccountPasswordPolicy sets it (omitted fields at defaults)."""

    minimum_password_length: int = DEFAULT_MINIMUM_LENGTH
    require_symbols: bool = False
    require_numbers: bool = False
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool | None = None

    # API member name -> attribute name
    FIELDS = {
        "MinimumPasswordLength": "minimum_password_length",
        "RequireSymbols": "require_symbols",
        "RequireNumbers": "require_numbers",
        "RequireUppercaseCharacters": "require_uppercase_characters",
        "RequireLowercaseCharacters": "require_lowercase_characters",
        "AllowUsersToChangePassword": "allow_users_to_change_password",
        "MaxPasswordAge": "max_password_age",
        "PasswordReusePrevention": "password_reuse_prevention",
        "HardExpiry": "hard_expiry",
    }

    @classmethod
    def from_params(cls, params: dict) -> PasswordPolicy:
        """From UpdateAccountPasswordPolicy's parameters (or the stored JSON, which has the same names)."""
        return cls(**{attr: params[name] for name, attr in cls.FIELDS.items() if params.get(name) is not None})

    def to_params(self) -> dict:
        """The members GetAccountPasswordPolicy shows, without ExpirePasswords; unset optional ones left out."""
        out = {}
        for name, attr in self.FIELDS.items():
            value = getattr(self, attr)
            if value is not None:
                out[name] = value
        return out

    @property
    def expire_passwords(self) -> bool:
        return bool(self.max_password_age)

    def rules(self) -> tuple[Rule, ...]:
        """Every rule of this policy, those that judge a password's text first, in AWS's order."""
        rules: list[Rule] = [MinimumPasswordLength(self.minimum_password_length)]
        if self.require_uppercase_characters:
            rules.append(RequireUppercaseCharacters())
        if self.require_lowercase_characters:
            rules.append(RequireLowercaseCharacters())
        if self.require_numbers:
            rules.append(RequireNumbers())
        if self.require_symbols:
            rules.append(RequireSymbols())
        if self.password_reuse_prevention:
            rules.append(PasswordReusePrevention(self.password_reuse_prevention))
        if self.max_password_age:
            rules.append(MaxPasswordAge(self.max_password_age))
            rules.append(HardExpiry(bool(self.hard_expiry)))
        rules.append(AllowUsersToChangePassword(self.allow_users_to_change_password))
        return tuple(rules)


def rules_for(policy: PasswordPolicy | None) -> tuple[Rule, ...]:
    """The rules in force: the account's policy, or AWS's default one when the account has none."""
    return DEFAULT_RULES if policy is None else policy.rules()


def check_password(password: str, policy: PasswordPolicy | None, history: Sequence[str] = ()) -> list[Failure]:
    """Every failure of ``password`` against the rules in force, in order; [] when it passes.

    ``history`` is the user's previous password hashes, newest first; without it the reuse rule passes.
    """
    failures = []
    for rule in rules_for(policy):
        if isinstance(rule, PasswordReusePrevention):
            failure = rule.validate(password, history)
        else:
            failure = rule.validate(password)
        if failure is not None:
            failures.append(failure)
    return failures


def reuse_window(policy: PasswordPolicy | None) -> int:
    """How many previous password hashes (newest first, the current one included) ``check_password``
    needs to judge reuse under ``policy``: 0 when the policy does not prevent reuse."""
    return 0 if policy is None else (policy.password_reuse_prevention or 0)


def help_texts(policy: PasswordPolicy | None) -> list[str]:
    """What the console shows beside a new-password field."""
    return [rule.help_text() for rule in rules_for(policy)]


def violation_message(failures: Iterable[Failure]) -> str:
    """The message of the PasswordPolicyViolation error for these failures."""
    return MESSAGE_SEPARATOR.join(failure.message for failure in failures)
