"""The application of one worker process of ``iamd serve --workers N``.

The parent has already migrated the store and created the first account; a worker only opens them,
with the settings the parent put in the environment. It imports the application here, with the garbage
collector held off, then freezes what it made, as a one-process server does (cli/collector.py says why).
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from iamd.web.app import ApiFirst


def create_worker_app() -> ApiFirst:
    gc.disable()
    try:
        from iamd import logs
        from iamd.config import from_environment
        from iamd.service.runtime import load_secrets, new_environment, open_store
        from iamd.web.app import create_app

        settings = from_environment()
        logs.configure(settings.log_level, settings.log_format, settings.access_log)
        box = load_secrets(settings)
        store = open_store(settings)
        return create_app(store, new_environment(box, settings), read_timeout=settings.read_timeout,
                          settings=settings)
    finally:
        gc.freeze()
        gc.enable()
