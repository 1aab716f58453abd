"""What sign-in needs to know before anyone is signed in: the account, the password, the MFA device.

These checks are the sign-in system's own, made before there is a principal to authorize, so they call
service functions directly rather than operations through ``dispatch.execute``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection

from iamd.errors import AwsError, NoSuchEntity
from iamd.security import passwords
from iamd.service.account import accounts
from iamd.service.account.password_policy import load_policy
from iamd.service.context import Call
from iamd.service.credentials import login_profiles, mfa as mfa_service
from iamd.service.identities import users


@dataclass(frozen=True)
class Account:
    id: str
    alias: str | None
    root_password_hash: str | None


def find_account(tx: Connection, alias_or_id: str) -> Account | None:
    """The account a sign-in URL names, by alias or by 12-digit id."""
    if alias_or_id.isdigit() and len(alias_or_id) == 12:
        try:
            row = accounts.find_account(tx, alias_or_id)
        except NoSuchEntity:
            return None
        return Account(row.id, row.alias, row.root_password_hash)
    row = accounts.find_account_by_alias(tx, alias_or_id)
    return Account(row.id, row.alias, row.root_password_hash) if row is not None else None


def check_root_password(account: Account | None, password: str) -> bool:
    """Whether ``password`` is the root user's; as slow for an account without one as for a wrong one."""
    ok, _rehash = passwords.verify(password, account.root_password_hash if account else None)
    return ok


def find_user_id(tx: Connection, account_id: str, name: str) -> tuple[str | None, str]:
    """(user id or None, the user's name as stored)."""
    try:
        row = users.find_user(tx, account_id, name)
    except (NoSuchEntity, AwsError):
        return None, name
    return row.id, row.name


def check_user_password(tx: Connection, user_id: str | None, password: str) -> bool:
    return login_profiles.check_sign_in(tx, user_id, password)


def record_password_use(tx: Connection, user_id: str, now: datetime) -> None:
    """PasswordLastUsed, as AWS records it at console sign-in."""
    login_profiles.record_sign_in(tx, user_id, now)


def mfa_serial_for(tx: Connection, user_id: str | None, account_id: str) -> str:
    """The serial number of an MFA device enabled for the user ('' when none; the root user has none)."""
    return mfa_service.enabled_serial(tx, account_id, user_id) or ""


def verify_mfa(tx: Connection, call: Call, serial: str, code: str) -> bool:
    return bool(mfa_service.verify_code(tx, call, serial, code))


def password_change_reason(tx: Connection, call: Call, user_name: str) -> str:
    """Why the user must choose a new password now ('' when not): reset required, or expired.

    'hard' when the password expired under HardExpiry: only an administrator can reset it.
    """
    profile = login_profiles.get_login_profile(tx, call, {"UserName": user_name})["LoginProfile"]
    if call.principal.user_id and login_profiles.password_expired(tx, call.principal.user_id, call.now):
        return "hard" if login_profiles.hard_expiry(tx, call.account_id) else "expired"
    if profile.get("PasswordResetRequired"):
        return "reset"
    return ""


def password_policy(tx: Connection, account_id: str):
    """The account policy's rules, for the help texts beside a new-password field (None: AWS's default)."""
    return load_policy(tx, account_id)
