"""Console passwords of IAM users: CreateLoginProfile, GetLoginProfile, UpdateLoginProfile, DeleteLoginProfile,
and ChangePassword (a user changing their own password).

A login profile is a user's password, kept only as an argon2id hash (``security.passwords``). Every new
password is checked against the account password policy (``security.password_rules``, AWS's default rules
when the account has none); all failures come back in one PasswordPolicyViolation. Without a UserName,
an operation acts on the calling IAM user, as in AWS.

Password history: every password set (create, update, change) is recorded in ``password_history``; with
PasswordReusePrevention N a new password may not equal any of the user's last N passwords, the current
one included. The history goes with the login profile (DeleteLoginProfile forgets it).

Expiry (MaxPasswordAge): GetLoginProfile is unaffected, as in AWS. ``password_expired`` tells the
console that the user must choose a new password at sign-in; with HardExpiry the console must refuse
instead and leave it to an administrator (UpdateLoginProfile). Both only concern console sign-in: an
expired password does not stop the user's access keys, nor ChangePassword through the API.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import (
    AccessDenied,
    EntityAlreadyExists,
    InvalidUserType,
    NoSuchEntity,
    PasswordPolicyViolation,
    Problem,
    ValidationError,
)
from iamd.security import password_rules, passwords
from iamd.security.principal_kind import PrincipalKind
from iamd.service.account.password_policy import load_policy
from iamd.service.context import Call
from iamd.service.declare import iam
from iamd.service.identities import users
from iamd.store.schema import login_profiles, password_history, users as users_table

HISTORY_KEPT = 24  # the largest PasswordReusePrevention IAM allows


CHANGE_BY_NON_USER = "Only IAM Users can change their own password."
WRONG_OLD_PASSWORD = "The old password is incorrect."


def _profile(tx: Connection, user_row):
    row = tx.execute(select(login_profiles).where(login_profiles.c.user_id == user_row.id)).first()
    if row is None:
        raise NoSuchEntity(f"Login Profile for User {user_row.name} cannot be found.")
    return row


def _history(tx: Connection, user_id: str, policy) -> list[str]:
    """The user's previous password hashes, newest first, the current one included; [] when unneeded."""
    wanted = password_rules.reuse_window(policy)
    if not wanted:
        return []
    current = tx.scalar(select(login_profiles.c.password_hash).where(login_profiles.c.user_id == user_id))
    rows = tx.scalars(select(password_history.c.password_hash).where(password_history.c.user_id == user_id)
                      .order_by(password_history.c.changed_at.desc(), password_history.c.id.desc())
                      .limit(HISTORY_KEPT)).all()
    hashes = [current] if current else []
    hashes += [encoded for encoded in rows if encoded != current]
    return hashes[:wanted]


def _checked_hash(tx: Connection, call: Call, password: str, user_id: str | None = None) -> str:
    """The hash to store for a new password, once it passes the rules in force (reuse included)."""
    policy = load_policy(tx, call.account_id)
    history = _history(tx, user_id, policy) if user_id is not None else []
    failures = password_rules.check_password(password, policy, history)
    if failures:
        raise PasswordPolicyViolation(password_rules.violation_message(failures))
    return passwords.hash_password(password)


def _remember(tx: Connection, user_id: str, encoded: str, now: datetime) -> None:
    """Record a password just set, and forget those beyond the longest reuse window."""
    tx.execute(insert(password_history).values(user_id=user_id, password_hash=encoded, changed_at=now))
    stale = tx.scalars(select(password_history.c.id).where(password_history.c.user_id == user_id)
                       .order_by(password_history.c.changed_at.desc(), password_history.c.id.desc())
                       .offset(HISTORY_KEPT)).all()
    if stale:
        tx.execute(delete(password_history).where(password_history.c.id.in_(stale)))


def _describe(user_row, profile_row) -> dict:
    return {
        "UserName": user_row.name,
        "CreateDate": profile_row.created_at,
        "PasswordResetRequired": profile_row.password_reset_required,
    }


def create_login_profile(tx: Connection, call: Call, params: dict) -> dict:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    password = params.get("Password")
    if password is None:
        raise ValidationError.detected([Problem("password", "Value null at 'password' failed to satisfy "
                                                "constraint: Member must not be null")])
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
    _remember(tx, user.id, encoded, call.now)
    return {"LoginProfile": _describe(user, _profile(tx, user))}


def get_login_profile(tx: Connection, call: Call, params: dict) -> dict:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    return {"LoginProfile": _describe(user, _profile(tx, user))}


def update_login_profile(tx: Connection, call: Call, params: dict) -> None:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    _profile(tx, user)
    changes: dict[str, Any] = {}
    if params.get("Password") is not None:
        changes.update(password_hash=_checked_hash(tx, call, params["Password"], user.id), password_changed_at=call.now)
    if params.get("PasswordResetRequired") is not None:
        changes["password_reset_required"] = params["PasswordResetRequired"]
    if changes:
        tx.execute(update(login_profiles).where(login_profiles.c.user_id == user.id).values(**changes))
    if "password_hash" in changes:
        _remember(tx, user.id, changes["password_hash"], call.now)
    return None


def delete_login_profile(tx: Connection, call: Call, params: dict) -> None:
    user = users.named_or_caller(tx, call, params.get("UserName"))
    _profile(tx, user)
    tx.execute(delete(password_history).where(password_history.c.user_id == user.id))
    tx.execute(delete(login_profiles).where(login_profiles.c.user_id == user.id))
    return None


def change_password(tx: Connection, call: Call, params: dict) -> None:
    """ChangePassword: the calling IAM user replaces their own password, proving the old one.

    Clears PasswordResetRequired and restarts the password's age. Whether the caller may do this at all
    (iam:ChangePassword, or the account policy's AllowUsersToChangePassword) is authorization's concern.
    """
    if call.principal.kind is not PrincipalKind.USER:
        raise InvalidUserType(CHANGE_BY_NON_USER)
    user = tx.execute(select(users_table).where(users_table.c.id == (call.principal.user_id or call.principal.id))
                      ).first()
    if user is None:
        raise users.not_found(call.principal.name)
    profile = _profile(tx, user)
    if not passwords.verify(params["OldPassword"], profile.password_hash)[0]:
        raise AccessDenied(WRONG_OLD_PASSWORD)
    encoded = _checked_hash(tx, call, params["NewPassword"], user.id)
    tx.execute(update(login_profiles).where(login_profiles.c.user_id == user.id).values(
        password_hash=encoded, password_changed_at=call.now, password_reset_required=False))
    _remember(tx, user.id, encoded, call.now)
    return None


def record_sign_in(tx: Connection, user_id: str, now: datetime) -> None:
    """PasswordLastUsed, as AWS records it when the user signs in to the console with the password."""
    tx.execute(update(users_table).where(users_table.c.id == user_id).values(password_last_used=now))


def password_expired(tx: Connection, user_id: str, now: datetime) -> bool:
    """Whether the user's console password is older than the account's MaxPasswordAge (False without one).

    For the console's sign-in: an expired password must be replaced before going on; with HardExpiry
    (``hard_expiry``) only an administrator can replace it.
    """
    row = tx.execute(select(login_profiles.c.password_changed_at, users_table.c.account_id)
                     .join(users_table, users_table.c.id == login_profiles.c.user_id)
                     .where(login_profiles.c.user_id == user_id)).first()
    if row is None:
        return False
    policy = load_policy(tx, row.account_id)
    if policy is None or not policy.max_password_age:
        return False
    return password_rules.MaxPasswordAge(policy.max_password_age).is_expired(row.password_changed_at, now)


def hard_expiry(tx: Connection, account_id: str) -> bool:
    """Whether an expired password may only be reset by an administrator (the policy's HardExpiry)."""
    policy = load_policy(tx, account_id)
    return bool(policy and policy.max_password_age and policy.hard_expiry)


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
    iam("ChangePassword", change_password, users.resource_arn, changes_access=False),
)
