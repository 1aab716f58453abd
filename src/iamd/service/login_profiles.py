"""Console passwords of IAM users: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile.

A login profile is a user's password, kept only as an argon2id hash (``security.passwords``). Every new
password is checked against the account password policy (``security.password_rules``, AWS's default rules
when the account has none); all failures come back in one PasswordPolicyViolation. Without a UserName,
an operation acts on the calling IAM user, as in AWS.
"""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, NoSuchEntity, PasswordPolicyViolation, ValidationError
from iamd.security import password_rules, passwords
from iamd.service import users
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.password_policy import load_policy
from iamd.store.schema import login_profiles


def _user(tx: Connection, call: Call, params: dict):
    name = params.get("UserName")
    if name is None:
        if call.principal.kind != "user":
            raise ValidationError("Must specify userName when calling with non-User credentials")
        name = call.principal.name
    return users.find_user(tx, call.account_id, name)


def _profile(tx: Connection, user_row):
    row = tx.execute(select(login_profiles).where(login_profiles.c.user_id == user_row.id)).first()
    if row is None:
        raise NoSuchEntity(f"Login Profile for User {user_row.name} cannot be found.")
    return row


def _checked_hash(tx: Connection, call: Call, password: str) -> str:
    """The hash to store for a new password, once it passes the rules in force."""
    failures = password_rules.check_password(password, load_policy(tx, call.account_id))
    if failures:
        raise PasswordPolicyViolation(password_rules.violation_message(failures))
    return passwords.hash_password(password)


def _describe(user_row, profile_row) -> dict:
    return {
        "UserName": user_row.name,
        "CreateDate": profile_row.created_at,
        "PasswordResetRequired": profile_row.password_reset_required,
    }


def create_login_profile(tx: Connection, call: Call, params: dict) -> dict:
    user = _user(tx, call, params)
    password = params.get("Password")
    if password is None:
        raise ValidationError("1 validation error detected: Value null at 'password' failed to satisfy "
                              "constraint: Member must not be null")
    if tx.execute(select(login_profiles.c.user_id).where(login_profiles.c.user_id == user.id)).first():
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
    encoded = _checked_hash(tx, call, password)
    try:
        tx.execute(insert(login_profiles).values(
            user_id=user.id, password_hash=encoded, created_at=call.now, password_changed_at=call.now,
            password_reset_required=bool(params.get("PasswordResetRequired", False)),
        ))
    except IntegrityError:
        raise EntityAlreadyExists(f"Login Profile for user {user.name} already exists.") from None
    return {"LoginProfile": _describe(user, _profile(tx, user))}


def get_login_profile(tx: Connection, call: Call, params: dict) -> dict:
    user = _user(tx, call, params)
    return {"LoginProfile": _describe(user, _profile(tx, user))}


def update_login_profile(tx: Connection, call: Call, params: dict) -> None:
    user = _user(tx, call, params)
    _profile(tx, user)
    changes = {}
    if params.get("Password") is not None:
        changes.update(password_hash=_checked_hash(tx, call, params["Password"]), password_changed_at=call.now)
    if params.get("PasswordResetRequired") is not None:
        changes["password_reset_required"] = params["PasswordResetRequired"]
    if changes:
        tx.execute(update(login_profiles).where(login_profiles.c.user_id == user.id).values(**changes))
    return None


def delete_login_profile(tx: Connection, call: Call, params: dict) -> None:
    user = _user(tx, call, params)
    _profile(tx, user)
    tx.execute(delete(login_profiles).where(login_profiles.c.user_id == user.id))
    return None


def check_sign_in(tx: Connection, user_id: str | None, password: str) -> bool:
    """Whether ``password`` is the user's console password (for the console's sign-in).

    Takes as long for an unknown user or a user without a password as for a wrong password, and
    replaces a hash made with older parameters once the password is proven right.
    """
    encoded = None
    if user_id is not None:
        encoded = tx.scalar(select(login_profiles.c.password_hash).where(login_profiles.c.user_id == user_id))
    ok, rehash = passwords.verify(password, encoded)
    if ok and rehash:
        tx.execute(update(login_profiles).where(login_profiles.c.user_id == user_id)
                   .values(password_hash=passwords.hash_password(password)))
    return ok


OPERATIONS = (
    iam("CreateLoginProfile", create_login_profile, users.resource_arn, changes_access=False),
    iam("GetLoginProfile", get_login_profile, users.resource_arn, writes=False),
    iam("UpdateLoginProfile", update_login_profile, users.resource_arn, changes_access=False),
    iam("DeleteLoginProfile", delete_login_profile, users.resource_arn, changes_access=False),
)
