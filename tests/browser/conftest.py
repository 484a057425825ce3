"""Headless Chromium (Debian's package) driven by Playwright, with JavaScript off.

Worker pages must work in Tor Browser's "Safest" mode, so every browser test runs without
JavaScript. Screenshots go to test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from organise.i18n import languages
from tests.servers import LiveServer, running

CHROMIUM = os.environ.get("ORGANISE_CHROMIUM", "/usr/bin/chromium")
SLUG = "browser-pledge"  # the campaign of campaign_with_a_code
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in str(item.path).replace(os.sep, "/"):
            item.add_marker(pytest.mark.browser)


# Module scope: Playwright's sync API keeps an event loop running while it is open, which
# would stop the asyncio tests; each browser module opens and closes its own.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        if os.environ.get("CI"):
            pytest.fail(f"Chromium not found at {CHROMIUM}; CI must install Debian's chromium")
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=LAUNCH_ARGS, chromium_sandbox=False
        )
        yield launched
        launched.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(java_script_enabled=False)  # type: ignore[attr-defined]
    tab = context.new_page()
    yield tab
    context.close()


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running(server := LiveServer(tmp_path_factory.mktemp("live"))):
        yield server


def campaign_with_a_code(live_server: LiveServer) -> str:
    """The campaign SLUG, open and by invitation, made through the command line; one of its
    invite codes."""
    created = live_server.create_campaign(
        SLUG,
        threshold=25,
        title="Refuse Project Lantern",
        demand="We will not build surveillance tools for the police.\n\nNot now, not later.",
        employer="Acme Cloud",
        audience="cosigners",
        onward_invites="2",
    )
    assert created["slug"] == SLUG
    [code] = live_server.invite_codes(SLUG, 1)
    return code


def save_screenshot(page: object, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    return path


def worker_languages() -> tuple[str, ...]:
    """The languages the worker pages are served in: each browser journey runs in each."""
    return languages()
