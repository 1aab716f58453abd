"""Opening the server's state: the master key, the store at the newest schema, the first account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, select, update

from iamd.config import Settings
from iamd.errors import NoSuchEntity
from iamd.security import password_rules, passwords
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service.account import accounts
from iamd.store import migrate
from iamd.store.database import Store
from iamd.store.schema import access_keys, accounts as accounts_table


@dataclass
class State:
    store: Store
    box: SecretBox
    new_account: accounts.NewAccount | None  # set when this start created the first account


def open_state(settings: Settings, create_first_account: bool = True) -> State:
    box = SecretBox(load_master_key(settings.data_path, settings.master_key or None))
    store = Store.open(settings.effective_database_url)
    migrate.upgrade(store)
    _check_master_key(store, box)
    new_account = None
    if create_first_account:
        with store.transaction(write=True) as tx:
            if not accounts.list_accounts(tx):
                new_account = accounts.create_account(
                    tx, box, datetime.now(UTC).replace(microsecond=0),
                    account_id=settings.account_id or None,
                    root_access_key_id=settings.root_access_key_id or None,
                    root_secret_access_key=settings.root_secret_access_key or None,
                )
                if settings.root_password:
                    set_root_password(tx, new_account.account_id, settings.root_password)
    return State(store, box, new_account)


def root_password_problems(password: str) -> list[str]:
    """Why ``password`` cannot be a root password: AWS's default rules (8+ characters, 3 of 4 classes)."""
    failures = password_rules.check_password(password, None)
    if len(password) > 128:
        failures.append(password_rules.Failure("password_too_long", "Password should have at most 128 characters"))
    return [failure.message for failure in failures]


def set_root_password(tx: Connection, account_id: str, password: str) -> None:
    """Hash ``password`` (argon2id, ``security.passwords``) into the account's root console password."""
    problems = root_password_problems(password)
    if problems:
        raise SystemExit("iamd: the root password is too weak: " + "; ".join(problems))
    done = tx.execute(update(accounts_table).where(accounts_table.c.id == account_id)
                      .values(root_password_hash=passwords.hash_password(password)))
    if done.rowcount == 0:
        raise NoSuchEntity(f"The account {account_id} cannot be found.")


def _check_master_key(store: Store, box: SecretBox) -> None:
    """Refuse to start with a master key that cannot open the stored secrets, rather than refuse every key."""
    with store.transaction(write=False) as tx:
        row = tx.execute(select(access_keys.c.id, access_keys.c.secret).limit(1)).first()
    if row is None:
        return
    try:
        box.open(row.secret, row.id)
    except (InvalidTag, ValueError):
        raise SystemExit("iamd: the master key does not open the stored secrets; "
                         "give the IAMD_MASTER_KEY (or master.key) this database was made with") from None
