"""The account password policy: UpdateAccountPasswordPolicy, GetAccountPasswordPolicy, DeleteAccountPasswordPolicy.

The policy is kept as JSON in ``accounts.password_policy`` (NULL: none set, AWS's default rules apply);
``security.password_rules.PasswordPolicy`` turns it into rules. UpdateAccountPasswordPolicy replaces the
whole policy: an omitted field goes back to its default (MinimumPasswordLength 6, every flag false,
MaxPasswordAge, PasswordReusePrevention and HardExpiry unset).
"""

from __future__ import annotations

import json

from sqlalchemy import Connection, select, update

from iamd.errors import NoSuchEntity
from iamd.security.password_rules import PasswordPolicy
from iamd.service.context import Call
from iamd.service.declare import any_resource, iam
from iamd.store.schema import accounts


def load_policy(tx: Connection, account_id: str) -> PasswordPolicy | None:
    """The account's password policy, or None when it has none."""
    stored = tx.scalar(select(accounts.c.password_policy).where(accounts.c.id == account_id))
    if stored is None:
        return None
    return PasswordPolicy.from_params(json.loads(stored))


def _store(tx: Connection, account_id: str, policy: PasswordPolicy | None) -> None:
    value = None if policy is None else json.dumps(policy.to_params(), sort_keys=True)
    tx.execute(update(accounts).where(accounts.c.id == account_id).values(password_policy=value))


def update_account_password_policy(tx: Connection, call: Call, params: dict) -> None:
    _store(tx, call.account_id, PasswordPolicy.from_params(params))


def get_account_password_policy(tx: Connection, call: Call, params: dict) -> dict:
    policy = load_policy(tx, call.account_id)
    if policy is None:
        raise NoSuchEntity(f"The Password Policy with domain name {call.account_id} cannot be found.")
    shown = policy.to_params()
    shown["ExpirePasswords"] = policy.expire_passwords
    return {"PasswordPolicy": shown}


def delete_account_password_policy(tx: Connection, call: Call, params: dict) -> None:
    if load_policy(tx, call.account_id) is None:
        raise NoSuchEntity("The account policy with name PasswordPolicy cannot be found.")
    _store(tx, call.account_id, None)


OPERATIONS = (
    iam("UpdateAccountPasswordPolicy", update_account_password_policy, any_resource),
    iam("GetAccountPasswordPolicy", get_account_password_policy, any_resource, writes=False),
    iam("DeleteAccountPasswordPolicy", delete_account_password_policy, any_resource),
)
