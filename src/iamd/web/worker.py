"""The application of one worker process of ``iamd serve --workers N``.

The parent has already migrated the store and created the first account; a worker only opens them,
with the settings the parent put in the environment.
"""

from __future__ import annotations

from iamd import logs
from iamd.config import from_environment
from iamd.service.runtime import load_secrets, new_environment, open_store
from iamd.web.app import ApiFirst, create_app


def create_worker_app() -> ApiFirst:
    settings = from_environment()
    logs.configure(settings.log_level, settings.log_format, settings.access_log)
    box = load_secrets(settings)
    store = open_store(settings)
    return create_app(store, new_environment(box, settings), read_timeout=settings.read_timeout,
                      settings=settings)
