"""The long-lived parts every server process builds once: see service.context.Environment."""

from __future__ import annotations

from iamd.audit.writer import AuditTrail
from iamd.config import Settings
from iamd.federation.keys import KeySource
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS
from iamd.service.authorize import Authorizer
from iamd.service.context import Environment
from iamd.service.last_used import LastUsedRecorder

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
