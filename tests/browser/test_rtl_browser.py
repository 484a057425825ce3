"""Arabic pages read right to left in a real browser (JavaScript off): the layout mirrors, and
receipts and codes still read left to right. Screenshots go to test-artifacts/ar-*.png."""

from __future__ import annotations

import pytest

from organise.i18n import complete_languages
from tests.browser.conftest import SLUG, campaign_with_a_code, save_screenshot

pytestmark = pytest.mark.skipif(
    "ar" not in complete_languages(), reason="the Arabic catalogue is not complete yet"
)


def _left(page, selector: str) -> float:
    return page.locator(selector).first.bounding_box()["x"]


def test_arabic_worker_pages_read_right_to_left(page, live_server):
    code = campaign_with_a_code(live_server)
    page.set_viewport_size({"width": 900, "height": 900})

    home = page.goto(live_server.url + "/ar/")
    assert home.status == 200
    assert "set-cookie" not in home.headers
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    # "Leave now" sits at the line's end, which is the left in Arabic; the brand at its start.
    assert _left(page, "div.leave a") < _left(page, "a.brand")
    assert page.locator('nav.languages a[hreflang="en"]').inner_text() == "English"
    save_screenshot(page, "ar-home")

    for path, name in [
        ("/ar/campaigns/", "ar-campaigns"),
        (f"/ar/campaigns/{SLUG}", "ar-campaign"),
        ("/ar/reports/new", "ar-report"),
        ("/ar/contracts/", "ar-contracts"),
        ("/ar/pledges/status", "ar-status"),
    ]:
        assert page.goto(live_server.url + path).status == 200, path
        assert page.locator("html").get_attribute("dir") == "rtl"
        save_screenshot(page, name)

    page.goto(f"{live_server.url}/ar/campaigns/{SLUG}/sign")
    page.locator("#invite_code").fill(code)
    page.locator("#name").fill("Rosa P.")
    page.locator("form.campaign-form button[type=submit]").click()
    receipt = page.locator("#receipt")
    assert receipt.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert receipt.evaluate("e => getComputedStyle(e).unicodeBidi") == "isolate"
    assert page.url.startswith(f"{live_server.url}/ar/campaigns/{SLUG}/sign")
    save_screenshot(page, "ar-receipt")
    assert page.context.cookies() == []
