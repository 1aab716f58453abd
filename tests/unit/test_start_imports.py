"""What `iamd serve` imports on SQLite before its first request: none of the heavy libraries only some
starts or some operations need (docs/performance.md, "Cold start": PostgreSQL's driver and dialect,
Alembic and its Mako, the console's Jinja2, the gateway, SAML's XML signature stack, PyJWT, x509, the
QR code drawer). psycopg alone costs about 0.1 s of a start that aims at under 1 s (issue #16 item 2)."""

from __future__ import annotations

import subprocess
import sys

NOT_AT_START = (
    "psycopg", "alembic", "mako", "jinja2", "pygments",  # PostgreSQL, migrations, the console
    "sqlalchemy.dialects.postgresql",  # PostgreSQL's dialect (saml_replay's ON CONFLICT)
    "iamd.gateway",  # the gateway, without an upstream (web/gateway.py create_gateway)
    "lxml", "signxml", "cryptography.x509",  # AssumeRoleWithSAML, signing certificates (federation/saml.py)
    "jwt",  # web identity tokens read and signed (federation/tokens.py, signing.py)
    "regex",  # the model's patterns, compiled at an operation's first request (protocol/constraints.py)
    "segno",  # CreateVirtualMFADevice's QR code (security/totp.py)
)


def _loaded(code: str) -> list[str]:
    probe = f"import sys; {code}; print(' '.join(m for m in {NOT_AT_START!r} if m in sys.modules))"
    return subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()


def test_serving_on_sqlite_imports_no_library_only_some_starts_or_operations_need():
    assert _loaded("import iamd.cli.main, iamd.cli.serve, iamd.cli.bootstrap, iamd.web.app, iamd.store.fastpath") == []


def test_a_fresh_data_directory_is_made_and_served_without_them(tmp_path):
    """The whole start up to the first request: master key, the schema made in an empty database (not
    by Alembic), the first account, the application built."""
    start = ("from iamd.cli.bootstrap import open_state; from iamd.config import Settings; "
             "from iamd.service.runtime import new_environment; from iamd.web.app import create_app; "
             f"settings = Settings(data_dir={str(tmp_path)!r}); state = open_state(settings); "
             "assert (state.new_account is not None) == {fresh}; "
             "create_app(state.store, new_environment(state.box, settings), settings=settings)")
    assert _loaded(start.format(fresh=True)) == []
    assert _loaded(start.format(fresh=False)) == []  # and a restart on it


def test_the_command_line_leaves_the_application_to_whoever_serves_it():
    """`iamd serve --workers N`: the supervisor opens the state and watches its workers, which import the
    application themselves (web/worker.py); only a one-process server imports it (cli/serve.py run)."""
    probe = ("import sys; from iamd.cli.main import build_parser; build_parser(); "
             "print(' '.join(m for m in ('iamd.web.app', 'iamd.web.api', 'botocore.model') if m in sys.modules))")
    loaded = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.split()
    assert loaded == []
