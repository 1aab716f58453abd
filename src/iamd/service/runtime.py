"""The long-lived parts every server process builds once (service.context.Environment), and what the
web layer needs of the store and of security/ to serve requests: web reaches them through here only
(the import contracts in pyproject.toml, docs/architecture.md "Layers").
"""

from __future__ import annotations

from sqlalchemy import Connection, text

from iamd.audit.writer import AuditTrail
from iamd.config import Settings
from iamd.federation.keys import KeySource
from iamd.security import ids
from iamd.security.secrets import SecretBox, load_master_key
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS
from iamd.service.authorize import Authorizer
from iamd.service.context import Environment
from iamd.service.credentials.last_used import LastUsedRecorder
from iamd.store import evented
from iamd.store.database import ATTEMPTS, Store, lost_race
from iamd.store.fastpath import read_ahead

# What the web layer uses as it is: the store and its transactions, the retry of a transaction that
# lost a race (ATTEMPTS, lost_race), reading a request's rows ahead (read_ahead), running a PostgreSQL
# request in the event loop (evented).
__all__ = ["ATTEMPTS", "Store", "Transaction", "evented", "lost_race", "read_ahead"]

Transaction = Connection  # one store transaction, as every service function takes it (``tx``)

SIGNING_KEYS = "iamd oidc signing keys v1"


def new_environment(box: SecretBox, settings: Settings | None = None) -> Environment:
    """Everything a server process keeps between requests; defaults where ``settings`` is None (tools)."""
    settings = settings or Settings()
    audit = AuditTrail(enabled=settings.audit, retention_days=settings.audit_retention_days,
                       prune_seconds=settings.audit_prune_seconds, flush_seconds=settings.audit_flush_seconds)
    return Environment(secrets=box, last_used=LastUsedRecorder(), authorizer=Authorizer(),
                       sessions=box.derived(SESSION_TOKENS), oidc_keys=KeySource(settings.oidc_jwks_dir),
                       signing_keys=box.derived(SIGNING_KEYS), issuer_base=settings.effective_public_url,
                       key_rotation_seconds=settings.oidc_key_rotation_seconds, audit=audit)


def load_secrets(settings: Settings) -> SecretBox:
    """The master key (IAMD_MASTER_KEY, or master.key in the data directory), as the box that seals secrets."""
    return SecretBox(load_master_key(settings.data_path, settings.master_key or None))


def open_store(settings: Settings) -> Store:
    return Store.open(settings.effective_database_url)


def database_answers(store: Store) -> None:
    """Raises unless the database answers a query (the readiness probe)."""
    with store.transaction(write=False) as tx:
        tx.execute(text("SELECT 1"))


new_request_id = ids.request_id  # the web layer's name for it (web/ reaches security/ through service/)
