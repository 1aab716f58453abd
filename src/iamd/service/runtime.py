"""The long-lived parts every server process builds once: see service.context.Environment."""

from __future__ import annotations

from iamd.federation.keys import KeySource
from iamd.security.secrets import SecretBox
from iamd.security.session_tokens import PURPOSE as SESSION_TOKENS
from iamd.service.authorize import Authorizer
from iamd.service.context import Environment
from iamd.service.last_used import LastUsedRecorder

SIGNING_KEYS = "iamd oidc signing keys v1"


def new_environment(box: SecretBox, *, oidc_jwks_dir: str = "", issuer_base: str = "",
                    key_rotation_seconds: int = 7 * 86_400) -> Environment:
    return Environment(secrets=box, last_used=LastUsedRecorder(), authorizer=Authorizer(),
                       sessions=box.derived(SESSION_TOKENS), oidc_keys=KeySource(oidc_jwks_dir),
                       signing_keys=box.derived(SIGNING_KEYS), issuer_base=issuer_base.rstrip("/"),
                       key_rotation_seconds=key_rotation_seconds)
