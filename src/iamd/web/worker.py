"""The application of one worker process of ``iamd serve --workers N``.

The parent has already migrated the store and created the first account; a worker only opens them,
with the settings the parent put in the environment.
"""

from __future__ import annotations

from iamd import logs
from iamd.config import from_environment
from iamd.security.secrets import SecretBox, load_master_key
from iamd.service.runtime import new_environment
from iamd.store.database import Store
from iamd.web.app import ApiFirst, create_app


def create_worker_app() -> ApiFirst:
    settings = from_environment()
    logs.configure(settings.log_level, settings.log_format, settings.access_log)
    box = SecretBox(load_master_key(settings.data_path, settings.master_key or None))
    store = Store.open(settings.effective_database_url)
    return create_app(store, new_environment(box, settings), read_timeout=settings.read_timeout,
                      settings=settings)
