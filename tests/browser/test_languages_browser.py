"""A worker signs a pledge and reports a contract end to end in each language the site serves,
in headless Chromium with JavaScript off; a receipt works whatever the language it was issued in.

Forms are found by their fields and buttons by their place, never by English words, so the same
journey runs under every prefix. Each language's pages say they are in it (`<html lang>`, and
`dir="rtl"` for Arabic) and set no cookie.
"""

from __future__ import annotations

import re
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

RTL = ("ar",)


def prefix(language: str) -> str:
    return "" if language == DEFAULT_LOCALE else f"/{language}"


@pytest.fixture(scope="module")
def codes(live_server: LiveServer) -> list[str]:
    """Invite codes of the campaign SLUG: one for each journey below, and a spare."""
    first = campaign_with_a_code(live_server)
    return [first, *live_server.invite_codes(SLUG, len(worker_languages()) + 2)]


def _in_language(page: Any, language: str) -> None:
    html = page.locator("html")
    assert html.get_attribute("lang") == language
    assert html.get_attribute("dir") == ("rtl" if language in RTL else "ltr")
    assert page.context.cookies() == []


def _sign(page: Any, base: str, code: str, name: str) -> str:
    """Sign the campaign SLUG from its page under `base`; the receipt, confirmed written down."""
    page.goto(f"{base}/campaigns/{SLUG}")
    page.locator(f"main a[href$='/campaigns/{SLUG}/sign']").first.click()
    page.wait_for_url(f"**/campaigns/{SLUG}/sign?t=*")
    page.fill("#invite_code", code)
    page.fill("#name", name)
    page.locator("form.campaign-form button[type=submit]").first.click()
    receipt = page.locator("#receipt").inner_text().strip()
    assert re.fullmatch(r"[a-z]+(-[a-z]+){7}", receipt), receipt
    page.fill("#check", " ".join(receipt.split("-")[-2:]))
    page.locator("form:has(#check) button[type=submit]").click()
    page.wait_for_url(f"**/campaigns/{SLUG}/confirmed?t=*")
    assert receipt not in page.content()
    return receipt


def _check(page: Any, base: str, receipt: str) -> None:
    """Open the pledge of `receipt` from the status page under `base`."""
    page.goto(f"{base}/pledges/status")
    page.fill("#receipt", receipt.replace("-", " "))
    page.locator("main form button[type=submit]").first.click()
    assert page.locator("#your-pledge").is_visible()  # the pledge's own section


@pytest.mark.parametrize("language", worker_languages())
def test_a_worker_signs_and_checks_a_pledge_in_each_language(page, live_server, codes, language):
    base = live_server.url + prefix(language)
    receipt = _sign(page, base, codes.pop(), f"Signer {language}")
    _in_language(page, language)
    save_screenshot(page, f"language-{language}-signed")
    _check(page, base, receipt)
    _in_language(page, language)
    assert "Refuse Project Lantern" in page.locator("#your-pledge").inner_text()
    save_screenshot(page, f"language-{language}-pledge-status")


def test_a_pledge_signed_in_german_is_checked_with_its_receipt_in_arabic(page, live_server, codes):
    if not {"de", "ar"} <= set(worker_languages()):
        pytest.skip("German and Arabic are not both served")
    receipt = _sign(page, live_server.url + "/de", codes.pop(), "Kim")
    _in_language(page, "de")
    _check(page, live_server.url + "/ar", receipt)
    _in_language(page, "ar")
    # The receipt's words and the campaign's title read left to right inside the Arabic page.
    assert "Refuse Project Lantern" in page.locator("#your-pledge").inner_text()
    save_screenshot(page, "language-de-signed-ar-checked")


def _report(page: Any, base: str, details: str) -> str:
    """Send a report from the form under `base`; the receipt, confirmed written down."""
    page.goto(f"{base}/reports/new")
    page.fill("#employer", "Skyward Drones Ltd")
    page.fill("#agency", "Riverside County Sheriff")
    page.select_option("#agency_type", "sheriff")
    page.select_option("#country", "US")
    page.check("input[name=technologies][value=drones-robots]")
    page.check("input[name=status][value=known-internally]")
    page.check("input[name=relation][value=current-employee]")
    page.fill("#period_start", "2024-03")
    page.fill("#details", details)
    page.locator("form.report button[type=submit]").click()
    receipt = page.locator("code.secret").first.inner_text().strip()
    assert re.fullmatch(r"[a-z]+(-[a-z]+){7}", receipt), receipt
    page.fill("#check", " ".join(receipt.split("-")[-2:]))
    page.locator("form:has(#check) button[type=submit]").click()
    assert receipt not in page.content()
    return receipt


@pytest.mark.parametrize("language", worker_languages())
def test_a_worker_reports_and_follows_up_in_each_language(page, live_server, language):
    base = live_server.url + prefix(language)
    details = f"Drones for the sheriff, seen in the {language} build."
    receipt = _report(page, base, details)
    _in_language(page, language)
    save_screenshot(page, f"language-{language}-reported")
    page.goto(f"{base}/reports/follow-up")
    page.fill("#receipt", receipt.replace("-", " "))
    page.locator("main form button[type=submit]").first.click()
    assert "/reports/follow-up?t=" in page.url  # the form's token, never the receipt
    assert receipt not in page.url
    _in_language(page, language)
    assert page.locator("dd.state").is_visible()
    page.fill("#message", f"More in {language}.")
    page.locator("form:has(#message) button[type=submit]").click()
    assert f"More in {language}." in page.locator("ol.messages").inner_text()
    _in_language(page, language)
    save_screenshot(page, f"language-{language}-follow-up")
