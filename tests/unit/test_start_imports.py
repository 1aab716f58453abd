"""What `iamd serve` imports on SQLite before its first request: none of the heavy libraries only some
starts need (docs/performance.md, "Cold start": PostgreSQL's driver, Alembic and its Mako, the console's
Jinja2). psycopg alone costs about 0.1 s of a start that aims at under 1 s (issue #16 item 2)."""

from __future__ import annotations

import subprocess
import sys

NOT_AT_START = ("psycopg", "alembic", "mako", "jinja2", "pygments")


def test_serving_on_sqlite_imports_no_library_only_postgresql_migrations_or_the_console_need():
    probe = ("import sys, iamd.cli.serve, iamd.cli.bootstrap, iamd.web.app, iamd.store.fastpath; "
             f"print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
