"""Accounts and their root users: created at first start, or by ``iamd account create``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, insert, select, update
from sqlalchemy.exc import IntegrityError

from iamd.errors import EntityAlreadyExists, NoSuchEntity
from iamd.security import ids, password_rules, passwords
from iamd.security.secrets import SecretBox
from iamd.store.schema import access_keys, accounts


@dataclass(frozen=True)
class NewAccount:
    account_id: str
    root_access_key_id: str
    root_secret_access_key: str


def find_account(tx: Connection, account_id: str):
    row = tx.execute(select(accounts).where(accounts.c.id == account_id)).first()
    if row is None:
        raise NoSuchEntity(f"The account {account_id} cannot be found.")
    return row


def find_account_by_alias(tx: Connection, alias: str):
    """The account with this alias (aliases are lower case), or None."""
    return tx.execute(select(accounts).where(accounts.c.alias == alias.lower())).first()


def list_accounts(tx: Connection) -> Sequence[Row]:
    return tx.execute(select(accounts).order_by(accounts.c.created_at, accounts.c.id)).all()


def account_ids(tx: Connection) -> list[str]:
    """Every account's id (the gateway asks which of them owns an S3 bucket)."""
    return list(tx.scalars(select(accounts.c.id).order_by(accounts.c.id)))


def create_account(
    tx: Connection,
    box: SecretBox,
    now: datetime,
    account_id: str | None = None,
    root_access_key_id: str | None = None,
    root_secret_access_key: str | None = None,
) -> NewAccount:
    """A new account and its root user's access key (given, or generated)."""
    account_id = account_id or ids.account_id()
    key_id = root_access_key_id or ids.access_key_id(account_id)
    secret = root_secret_access_key or ids.secret_access_key()
    try:
        tx.execute(insert(accounts).values(id=account_id, created_at=now))
    except IntegrityError:
        raise EntityAlreadyExists(f"Account {account_id} already exists.") from None
    tx.execute(insert(access_keys).values(
        id=key_id, account_id=account_id, user_id=None, secret=box.seal(secret, key_id),
        status="Active", created_at=now,
    ))
    return NewAccount(account_id, key_id, secret)


def root_password_problems(password: str) -> list[str]:
    """Why ``password`` cannot be a root password: AWS's default rules (8+ characters, 3 of 4 classes)."""
    failures = password_rules.check_password(password, None)
    if len(password) > 128:
        failures.append(password_rules.Failure("password_too_long", "Password should have at most 128 characters"))
    return [failure.message for failure in failures]


def set_root_password(tx: Connection, account_id: str, password: str) -> None:
    """Hash ``password`` (argon2id, ``security.passwords``) into the account's root console password; the
    caller has checked it (``root_password_problems``)."""
    done = tx.execute(update(accounts).where(accounts.c.id == account_id)
                      .values(root_password_hash=passwords.hash_password(password)))
    if done.rowcount == 0:
        raise NoSuchEntity(f"The account {account_id} cannot be found.")


def check_root_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` is the root user's; as slow without a stored hash as for a wrong password."""
    ok, _rehash = passwords.verify(password, password_hash)
    return ok
