"""Opening the server's state: the master key, the store at the newest schema, the first account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone

from cryptography.exceptions import InvalidTag
from sqlalchemy import select

from iamd.config import Settings
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service import accounts
from iamd.store import migrate
from iamd.store.database import Store
from iamd.store.schema import access_keys


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
                    tx, box, datetime.now(timezone.utc).replace(microsecond=0),
                    account_id=settings.account_id or None,
                    root_access_key_id=settings.root_access_key_id or None,
                    root_secret_access_key=settings.root_secret_access_key or None,
                )
    return State(store, box, new_account)


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
