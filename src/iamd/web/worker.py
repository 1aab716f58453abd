"""The application of one worker process of ``iamd serve --workers N``.

The parent has already migrated the store and created the first account; a worker only opens them,
with the settings the parent put in the environment.
"""

from __future__ import annotations

from starlette.applications import Starlette

from iamd import logs
from iamd.config import Settings, from_environment
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service.context import Environment
from iamd.service.runtime import new_environment
from iamd.store.database import Store
from iamd.web.app import create_app


def create_worker_app() -> Starlette:
    settings = from_environment()
    logs.configure(settings.log_level, settings.log_format, settings.access_log)
    box = SecretBox(load_master_key(settings.data_path, settings.master_key or None))
    store = Store.open(settings.effective_database_url)
    return create_app(store, environment_for(settings, box), read_timeout=settings.read_timeout)


def environment_for(settings: Settings, box: SecretBox) -> Environment:
    """The service layer's environment, with the settings it needs (web identity federation's)."""
    return new_environment(box, oidc_jwks_dir=settings.oidc_jwks_dir, issuer_base=settings.effective_public_url,
                           key_rotation_seconds=settings.oidc_key_rotation_seconds)

