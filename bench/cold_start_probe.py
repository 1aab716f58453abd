"""``iamd serve``'s start up to the moment uvicorn would listen, then exit: what bench_cold_start.py
--instructions counts under callgrind. The settings come from the environment (IAMD_*), as for the
server. uvicorn is imported first, to replace its ``run``; the rest is serve's own path (cli/main.py)."""

from __future__ import annotations

import sys

import uvicorn


def main() -> int:
    uvicorn.run = lambda *args, **kwargs: None  # the start is done; nothing to serve
    from iamd.cli.main import main as iamd_main

    return iamd_main(["serve"])


if __name__ == "__main__":
    sys.exit(main())
