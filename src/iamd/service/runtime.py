"""The long-lived parts every server process builds once: see service.context.Environment."""

from __future__ import annotations

from iamd.audit.writer import AuditTrail
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS
from iamd.service.authorize import Authorizer
from iamd.service.context import Environment
from iamd.service.last_used import LastUsedRecorder


def new_environment(box: SecretBox, settings=None) -> Environment:
    audit = AuditTrail(enabled=getattr(settings, "audit", True),
                       retention_days=getattr(settings, "audit_retention_days", 90),
                       prune_seconds=getattr(settings, "audit_prune_seconds", 3600))
    return Environment(secrets=box, last_used=LastUsedRecorder(), authorizer=Authorizer(),
                       sessions=box.derived(SESSION_TOKENS), audit=audit)
