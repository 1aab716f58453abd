"""Fixtures for the console tests: one real iamd server and one headless Debian Chromium for the module.

The browser is Debian's /usr/bin/chromium driven by Playwright (never a downloaded browser). Without it,
or without the playwright package, every test here is skipped with the reason. .ci/run installs it.
Screenshots go to docs/screenshots/ only when IAMD_SCREENSHOTS=1, so that CI leaves the tree clean.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.api.server import standard_server

CHROMIUM = os.environ.get("IAMD_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ROOT_PASSWORD = "Root-Console-Passw0rd!"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def _skip_reason() -> str | None:
    if not Path(CHROMIUM).exists():
        return f"no Chromium at {CHROMIUM} (apt-get install chromium; .ci/run does): console browser tests skipped"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed: console browser tests skipped"
    return None


@pytest.fixture(scope="module")
def console_server(tmp_path_factory):
    reason = _skip_reason()
    if reason:
        pytest.skip(reason)
    server = standard_server(tmp_path_factory.mktemp("iamd-console"))
    server.env_extra["IAMD_ROOT_PASSWORD"] = ROOT_PASSWORD
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser(console_server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield launched
        launched.close()


@pytest.fixture
def context(browser):
    """A fresh browser profile per test: its own cookies, so each test signs in for itself."""
    made = browser.new_context(viewport={"width": 1280, "height": 860}, accept_downloads=True)
    made.set_default_timeout(15_000)
    yield made
    made.close()


@pytest.fixture
def page(context):
    return context.new_page()


@pytest.fixture
def shoot(page):
    """shoot(name): save docs/screenshots/<name>.png when IAMD_SCREENSHOTS=1."""
    def take(name: str, full_page: bool = True) -> None:
        if os.environ.get("IAMD_SCREENSHOTS") == "1":
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=full_page)
    return take
