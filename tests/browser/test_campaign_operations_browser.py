"""An organiser revokes codes, extends the deadline and stops a campaign, JavaScript off;
a signer opts in to the new deadline from their status page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE


def _campaign(live_server, slug: str, *, threshold: str = "10") -> None:
    deadline = (datetime.now(UTC) + timedelta(days=10)).isoformat(timespec="minutes")
    created = live_server.run_cli(
        "campaign", "create", "--slug", slug, "--title", f"Walkout {slug}",
        "--demand", "We will not build it.", "--threshold", threshold, "--deadline", deadline,
        "--owner", live_server.campaign_owner(),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr


def _codes(live_server, slug: str, count: int) -> list[str]:
    made = live_server.run_cli(
        "campaign", "invites", slug, "--count", str(count),
        "--organiser", live_server.campaign_owner(),
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    return made.stdout.split()


def _sign_in(page, live_server) -> None:
    page.goto(live_server.url + "/organisers/login")
    page.get_by_label("Account name").fill(live_server.campaign_owner())
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organisers/")


def test_an_organiser_revokes_a_batch_and_its_codes_are_refused(page, live_server):
    _campaign(live_server, "revoking")
    _sign_in(page, live_server)
    page.goto(live_server.url + "/organisers/campaigns/revoking")
    page.get_by_label("How many codes").fill("3")
    page.get_by_label("Batch name").fill("Canteen")
    page.get_by_role("button", name="Generate a printable sheet").click()
    assert page.locator("svg.address-qr").count() == 3
    assert "Canteen" not in page.content()
    codes = page.locator("code.secret").all_inner_texts()
    save_screenshot(page, "campaign-invite-slips")

    page.goto(live_server.url + "/organisers/campaigns/revoking")
    page.get_by_label("Or a whole batch").select_option("Canteen")
    page.get_by_role("button", name="Revoke").click()
    assert page.get_by_text("whoever holds these codes will no longer be able to sign").is_visible()
    page.get_by_label("Or a whole batch").select_option("Canteen")
    page.get_by_label("I understand: whoever holds these codes").check()
    page.get_by_role("button", name="Revoke").click()
    assert page.get_by_text("Batch Canteen is revoked").is_visible()
    assert "Unused invite codes" not in page.content()
    save_screenshot(page, "campaign-revoked")

    page.goto(f"{live_server.url}/campaigns/revoking/sign")
    page.get_by_label("Invite code").fill(codes[0])
    page.get_by_label("Name or pseudonym").fill("Rosa")
    page.get_by_role("button", name="Sign the pledge").click()
    assert page.get_by_text("This invite code is not valid or has already been used.").is_visible()


def test_the_deadline_moves_and_a_signer_keeps_their_pledge_until_the_new_one(page, live_server):
    _campaign(live_server, "extending")
    [code] = _codes(live_server, "extending", 1)
    signed = httpx.post(
        f"{live_server.url}/api/v1/campaigns/extending/pledges",
        json={"invite_code": code, "name": "Rosa"},
        timeout=30,
    )
    receipt = signed.json()["receipt"]
    _sign_in(page, live_server)
    page.goto(live_server.url + "/organisers/campaigns/extending")
    new = (datetime.now(UTC) + timedelta(days=40)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("New deadline").fill(new)
    page.get_by_label("I understand: each pledge signed so far").check()
    page.get_by_role("button", name="Extend the deadline").click()
    assert page.get_by_text("Pledges signed before keep").is_visible()

    page.context.clear_cookies()  # from here on, the signer (worker pages set no cookie)
    page.goto(f"{live_server.url}/campaigns/extending")
    assert page.get_by_text("The organisers moved the deadline from").is_visible()
    page.goto(f"{live_server.url}/pledges/status")
    page.get_by_label("Your receipt (eight words)").fill(receipt)
    page.get_by_role("button", name="Check").click()
    assert page.get_by_role("heading", name="The deadline moved").is_visible()
    save_screenshot(page, "campaign-status-deadline-moved")
    page.get_by_label("Your receipt again (eight words)").fill(receipt)
    page.get_by_label("I want my pledge to count").check()
    page.get_by_role("button", name="Keep my pledge until the new deadline").click()
    assert page.get_by_text("your pledge now counts until the campaign's deadline").is_visible()
    assert page.context.cookies() == []


def test_an_organiser_stops_a_campaign_and_the_public_page_says_so(page, live_server):
    _campaign(live_server, "stopping")
    for code in _codes(live_server, "stopping", 2):
        httpx.post(
            f"{live_server.url}/api/v1/campaigns/stopping/pledges",
            json={"invite_code": code, "name": "Rosa"},
            timeout=30,
        )
    _sign_in(page, live_server)
    page.goto(live_server.url + "/organisers/campaigns/stopping")
    page.get_by_label("I understand: every pledge (2 now) is destroyed unread").check()
    page.get_by_role("button", name="Stop the campaign and destroy every pledge").click()
    assert page.get_by_text(
        "The campaign is stopped: 2 pledges were destroyed unread."
    ).is_visible()
    save_screenshot(page, "campaign-stopped-organiser")
    page.goto(f"{live_server.url}/campaigns/stopping")
    assert page.get_by_text("This campaign was stopped by its organisers").is_visible()
    assert "2 pledges were destroyed unread" in page.content()
    save_screenshot(page, "campaign-stopped-public")
