"""pytest fixtures for projects that test their IAM-dependent code against a real iamd.

Installed with iamd (entry point ``pytest11``), so a test suite needs only to ask for them:

- ``iamd`` (session): a running server with fresh state; ``.endpoint_url``, ``.root`` (account id and
  root key), ``.client_kwargs()``, ``.environment()``, ``.new_account()``.
- ``iamd_account`` (function): a new, isolated account for one test: a clean slate without a restart.
- ``iamd_env`` (function): ``AWS_ENDPOINT_URL`` and credentials of ``iamd_account`` set in the
  environment for the test, so code that builds its own boto3 clients talks to iamd unchanged.

The first start makes the schema and keeps a copy in pytest's cache directory; later sessions start
from that copy.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from iamd.testing import Account, LocalIamd


@pytest.fixture(scope="session")
def iamd(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalIamd]:
    cache = getattr(request.config, "cache", None)  # absent under -p no:cacheprovider
    template = cache.mkdir("iamd-template") if cache is not None else None
    server = LocalIamd.start(tmp_path_factory.mktemp("iamd"), template=template)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def iamd_account(iamd: LocalIamd) -> Account:
    return iamd.new_account()


@pytest.fixture
def iamd_env(iamd: LocalIamd, iamd_account: Account, monkeypatch: pytest.MonkeyPatch) -> dict:
    variables = iamd.environment(iamd_account)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    # boto3's default session keeps the credentials it first found: start each test with a new one.
    boto3 = sys.modules.get("boto3")
    if boto3 is not None:
        monkeypatch.setattr(boto3, "DEFAULT_SESSION", None)
    return variables
