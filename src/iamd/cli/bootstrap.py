"""Opening the server's state: the master key, the store at the newest schema, the first account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from iamd.config import Settings
from iamd.security.secrets import SecretBox
from iamd.service.account import accounts
from iamd.service.credentials import access_keys
from iamd.service.runtime import Store, Transaction, load_secrets, open_store
from iamd.store import migrate


@dataclass
class State:
    store: Store
    box: SecretBox
    new_account: accounts.NewAccount | None  # set when this start created the first account


def open_state(settings: Settings, create_first_account: bool = True) -> State:
    box = load_secrets(settings)
    store = open_store(settings)
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


def set_root_password(tx: Transaction, account_id: str, password: str) -> None:
    """Set the root user's console password, refusing one AWS's default rules refuse."""
    problems = accounts.root_password_problems(password)
    if problems:
        raise SystemExit("iamd: the root password is too weak: " + "; ".join(problems))
    accounts.set_root_password(tx, account_id, password)


def _check_master_key(store: Store, box: SecretBox) -> None:
    """Refuse to start with a master key that cannot open the stored secrets, rather than refuse every key."""
    with store.transaction(write=False) as tx:
        opens = access_keys.master_key_opens(tx, box)
    if not opens:
        raise SystemExit("iamd: the master key does not open the stored secrets; "
                         "give the IAMD_MASTER_KEY (or master.key) this database was made with")
