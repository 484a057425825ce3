"""Every worker page passes axe-core's accessibility checks, in every language the site serves.

axe-core comes from the npm registry, pinned with its integrity hash in tests/browser/
package-lock.json (`npm ci --prefix tests/browser`), and is injected into each page by the test
through the browser driver: the app never serves it. Injecting a script needs JavaScript, so
the checked pages are opened with it on and the Content-Security-Policy bypassed for the
injection only; the test first asserts that a page holds no script of its own, so what axe reads
is what a reader with JavaScript off gets. Without axe-core the test skips on a workstation and
fails in CI (`CI` or `ORGANISE_CI` set).
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from organise.i18n import DEFAULT_LOCALE
from tests.browser.conftest import (
    SLUG,
    campaign_with_a_code,
    save_screenshot,
    worker_languages,
)
from tests.servers import LiveServer
from tests.surveys.conftest import survey_file

AXE = Path(__file__).resolve().parent / "node_modules" / "axe-core" / "axe.min.js"
# As in test_reports_browser (the snapshot beside the checkout), or where ORGANISE_ATLAS_CSV says.
ATLAS = Path(
    os.environ.get("ORGANISE_ATLAS_CSV")
    or Path(__file__).resolve().parents[2].parent
    / "shared/data/atlas-of-surveillance-2020-10-07.csv"
)
SURVEY = "browser-axe-survey"
RUN_AXE = """async () => {
  const found = await axe.run(document, {resultTypes: ["violations"]});
  return found.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    where: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


def in_ci() -> bool:
    return bool(os.environ.get("CI") or os.environ.get("ORGANISE_CI"))


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = "axe-core is not installed: run `npm ci --prefix tests/browser`"
        if in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text(encoding="utf-8")


@dataclass
class Site:
    """Addresses of the worker pages (without a language prefix) and what reaching the pages
    behind a form needs."""

    pages: dict[str, str]
    codes: list[str]
    survey_codes: list[str]


def _small_atlas(folder: Path) -> Path | None:
    """The first rows of the Atlas snapshot: enough for a contract and an employer page (left
    out, with the snapshot missing, as the contract database's own browser test is not)."""
    if not ATLAS.exists():
        return None
    path = folder / "atlas.csv"
    with ATLAS.open(newline="", encoding="utf-8") as source, path.open("w", newline="") as out:
        rows = csv.reader(source)
        writer = csv.writer(out)
        for number, row in enumerate(rows):
            writer.writerow(row)
            if number >= 20:
                break
    return path


@pytest.fixture(scope="module")
def site(live_server: LiveServer, tmp_path_factory: pytest.TempPathFactory) -> Site:
    folder = tmp_path_factory.mktemp("axe")
    campaign_with_a_code(live_server)
    codes = live_server.invite_codes(SLUG, 2 * len(worker_languages()))
    definition = folder / "survey.json"
    definition.write_text(json.dumps(survey_file(slug=SURVEY)), encoding="utf-8")
    made = live_server.run_cli(
        "survey", "create", "--owner", live_server.campaign_owner(), "--file", str(definition)
    )
    assert made.returncode == 0, made.stderr
    invited = live_server.run_cli(
        "survey", "invites", SURVEY, "--count", str(len(worker_languages()))
    )
    assert invited.returncode == 0, invited.stderr
    pages = {
        "home": "/",
        "campaigns": "/campaigns/",
        "campaign": f"/campaigns/{SLUG}",
        "sign": f"/campaigns/{SLUG}/sign",
        "gatekeepers": f"/campaigns/{SLUG}/gate",
        "pledge-status": "/pledges/status",
        "pledge-withdraw": "/pledges/withdraw",
        "report": "/reports/new",
        "report-follow-up": "/reports/follow-up",
        "contracts": "/contracts/",
        "survey": f"/surveys/{SURVEY}",
        "survey-status": "/surveys/responses/status",
        "survey-withdraw": "/surveys/responses/withdraw",
        "not-found": "/campaigns/no-such-campaign",
        "share-link-gone": "/shares/no-such-link",
    }
    atlas = _small_atlas(folder)
    if atlas is not None:
        imported = live_server.run_cli("import", "atlas", str(atlas))
        assert imported.returncode == 0, imported.stderr
    return Site(pages, codes, invited.stdout.split())


@pytest.fixture
def checked(browser: Any) -> Iterator[Any]:
    """A tab that may run the injected axe-core: JavaScript on, the page's CSP bypassed."""
    context = browser.new_context(java_script_enabled=True, bypass_csp=True)
    yield context.new_page()
    context.close()


def prefix(language: str) -> str:
    return "" if language == DEFAULT_LOCALE else f"/{language}"


def _violations(tab: Any, axe_source: str) -> list[dict[str, Any]]:
    # No script of the page's own: what axe reads is the page as it is with JavaScript off.
    assert tab.locator("script").count() == 0, tab.url
    tab.evaluate(axe_source)
    found: list[dict[str, Any]] = tab.evaluate(RUN_AXE)
    return found


def _linked(tab: Any, pattern: str) -> str | None:
    """The first link on the page whose address matches `pattern` (a contract, an employer)."""
    for href in tab.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        if href and re.search(pattern, href):
            return str(href)
    return None


@pytest.mark.parametrize("language", worker_languages())
def test_every_worker_page_passes_axe(checked, live_server, site, axe_source, language):
    base = live_server.url + prefix(language)
    failures: dict[str, list[dict[str, Any]]] = {}
    pages = dict(site.pages)
    checked.goto(base + "/contracts/")
    contract = _linked(checked, r"/contracts/[0-9a-f-]{36}$")
    if contract is not None:
        pages["contract"] = contract.removeprefix(prefix(language))
        checked.goto(live_server.url + contract)
        employer = _linked(checked, r"/contracts/employers/")
        if employer is not None:
            pages["employer"] = employer.removeprefix(prefix(language))
    for name, path in pages.items():
        response = checked.goto(base + path)
        # The error pages are worker pages too; any other page must be there.
        expected = 404 if name in ("not-found", "share-link-gone") else 200
        assert response.status == expected, (name, response.status)
        found = _violations(checked, axe_source)
        if found:
            failures[name] = found
            save_screenshot(checked, f"axe-{language}-{name}")

    # The pages behind a form, each checked where a worker meets it.
    def check(name: str) -> None:
        found = _violations(checked, axe_source)
        if found:
            failures[name] = found
            save_screenshot(checked, f"axe-{language}-{name}")

    def keep(receipt: str) -> None:
        """Confirm the receipt is written down (its last two words), as a worker does."""
        checked.fill("#check", " ".join(receipt.split("-")[-2:]))
        checked.locator("form:has(#check) button[type=submit]").click()

    def with_receipt(page: str, receipt: str, *, confirm: bool = False) -> None:
        """Send a receipt form (status, follow-up, withdrawal), ticking its box if it has one."""
        checked.goto(base + site.pages[page])
        checked.fill("#receipt", receipt)
        if confirm:
            checked.check("input[name=confirm]")
        checked.locator("main form button[type=submit]").first.click()

    # A pledge: its receipt, kept, its status, its withdrawal.
    checked.goto(base + site.pages["sign"])
    checked.fill("#name", f"Axe {language}")
    checked.fill("#invite_code", site.codes.pop())
    checked.locator("form.campaign-form button[type=submit]").first.click()
    receipt = checked.locator("code.secret").first.inner_text().strip()
    check("signed")
    keep(receipt)
    check("signed-kept")
    with_receipt("pledge-status", receipt)
    check("pledge-status-shown")
    with_receipt("pledge-withdraw", receipt, confirm=True)
    check("pledge-withdrawn")

    # A report: its receipt, kept, and the conversation it opens.
    checked.goto(base + site.pages["report"])
    checked.fill("#employer", "Skyward Drones Ltd")
    checked.fill("#agency", "Riverside County Sheriff")
    checked.select_option("#agency_type", "sheriff")
    checked.select_option("#country", "US")
    checked.check("input[name=technologies][value=drones-robots]")
    checked.check("input[name=status][value=known-internally]")
    checked.check("input[name=relation][value=current-employee]")
    checked.locator("form.report button[type=submit]").click()
    report_receipt = checked.locator("code.secret").first.inner_text().strip()
    check("report-receipt")
    keep(report_receipt)
    check("report-receipt-kept")
    with_receipt("report-follow-up", report_receipt)
    check("report-conversation")

    # A survey answer: its receipt, kept, its status, its withdrawal.
    checked.goto(base + site.pages["survey"])
    checked.fill("#invite_code", site.survey_codes.pop())
    checked.check("input[name=unit][value=Infra]")
    checked.locator("form.survey-form button[type=submit]").click()
    survey_receipt = checked.locator("#receipt").inner_text().strip()
    check("survey-answered")
    keep(survey_receipt)
    check("survey-answer-kept")
    with_receipt("survey-status", survey_receipt)
    check("survey-status-shown")
    with_receipt("survey-withdraw", survey_receipt, confirm=True)
    check("survey-answer-withdrawn")
    assert failures == {}, json.dumps(failures, indent=1)
