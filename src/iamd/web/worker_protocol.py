"""uvicorn's HTTP protocol in a worker process of ``iamd serve --workers N``.

Named by ``iamd serve`` rather than handed over (a class made there could not be passed to a new
process), and imported only in the workers: the read timeout comes with the settings the parent put
in the environment.
"""

from __future__ import annotations

from iamd.config import from_environment
from iamd.web.limits import timed_protocol

WorkerProtocol = timed_protocol(from_environment().read_timeout)
