"""The attention list in headless Chromium with JavaScript off: an organiser signs in, sees
what waits on their account page, and follows a line to the page where the work is done; an
organiser of another campaign sees none of it."""

from __future__ import annotations

import httpx

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE

SLUG = "attention-walkout"
TITLE = "Refuse the border contract"


def _sign_in(page, url: str, username: str) -> None:
    page.goto(url + "/organisers/login")
    page.fill("#username", username)
    page.fill("#passphrase", PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()


def test_an_organiser_follows_a_line_of_the_attention_list(live_server, page):
    live_server.create_campaign(
        SLUG, threshold=3, title=TITLE, days=3, cooling_off="48", onward_invites="0"
    )
    for code in live_server.invite_codes(SLUG, 3):
        signed = httpx.post(
            f"{live_server.url}/api/v1/campaigns/{SLUG}/pledges",
            json={"invite_code": code, "name": "Rosa"},
            timeout=30,
        )
        assert signed.status_code == 201, signed.text
    owner = live_server.campaign_owner()
    live_server.create_organiser("attention-outsider", "organiser")

    _sign_in(page, live_server.url, owner)
    assert page.url.endswith("/organisers/")
    waiting = page.locator("section[aria-labelledby=attention]")
    assert waiting.locator("h2").inner_text() == "Waiting for you"
    lines = waiting.locator("li").all_inner_texts()
    assert len(lines) == 2, lines
    assert f"{TITLE} reached its threshold: cooling-off until" in lines[0]
    assert f"The deadline of {TITLE} is" in lines[1]
    assert "extend it" in lines[1]
    save_screenshot(page, "attention")

    # The deadline's line leads to the campaign's page, where the deadline is extended.
    waiting.locator("li", has_text="The deadline of").get_by_role("link").click()
    assert page.url.endswith(f"/organisers/campaigns/{SLUG}")
    assert TITLE in page.locator("h1").inner_text()
    assert page.get_by_role("heading", name="Extend the deadline").count() == 1

    # An organiser of no campaign of these: nothing.
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, live_server.url, "attention-outsider")
    outsider = page.locator("section[aria-labelledby=attention]")
    assert outsider.locator("li").count() == 0
    assert "Nothing waits for you now." in outsider.inner_text()
