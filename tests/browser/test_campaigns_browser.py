"""A worker signs a pledge in a real browser with JavaScript off, and reads the receipt page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.browser.conftest import SLUG, campaign_with_a_code, save_screenshot
from tests.support import PASSPHRASE


def test_a_worker_signs_without_javascript_and_reads_the_receipt(page, live_server):
    code = campaign_with_a_code(live_server)

    response = page.goto(f"{live_server.url}/campaigns/{SLUG}")
    assert response.status == 200
    assert "set-cookie" not in response.headers
    assert page.get_by_role("heading", name="Refuse Project Lantern").is_visible()
    assert page.get_by_role("heading", name="What happens to your pledge").is_visible()
    assert page.locator(".demand p").count() == 2
    save_screenshot(page, "campaign-page")
    page.get_by_role("link", name="Sign this pledge").click()
    page.wait_for_url(f"**/campaigns/{SLUG}/sign?t=*")  # the form's token, in its address

    page.get_by_label("Invite code").fill(code.lower())
    page.get_by_label("Name or pseudonym").fill("Rosa P.")
    page.get_by_label("Team or role (optional)").fill("Platform")
    page.get_by_label("A short message (optional)").fill("Count me in.\nAll the way.")
    page.get_by_role("button", name="Sign the pledge").click()

    heading = page.get_by_role("heading", level=1)
    assert heading.inner_text() == "You have signed. Write down your receipt now."
    receipt = page.locator("#receipt").inner_text()
    assert len(receipt.split("-")) == 8
    assert page.locator("ul.codes code").count() == 2
    save_screenshot(page, "campaign-receipt")
    assert page.context.cookies() == []

    page.get_by_label("To confirm you have it, type the last two words of your receipt").fill(
        " ".join(receipt.split("-")[-2:])
    )
    page.get_by_role("button", name="I have written it down").click()
    page.wait_for_url(f"**/campaigns/{SLUG}/confirmed?t=*")
    assert receipt not in page.content()

    page.get_by_role("link", name="Check my pledge").click()
    page.get_by_label("Your receipt (eight words)").fill(receipt.replace("-", " "))
    page.get_by_role("button", name="Check").click()
    assert page.get_by_text("Your pledge is recorded and sealed").is_visible()
    assert "1 pledge of the 25 needed" in page.content()
    save_screenshot(page, "campaign-status")
    assert page.context.cookies() == []


def test_an_organiser_creates_a_gated_campaign_and_sees_the_shares_once(
    page, live_server, tmp_path
):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    created = live_server.run_cli(
        "organiser", "create", "campaign-organiser", "--role", "organiser",
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    page.goto(live_server.url + "/organisers/login")
    page.get_by_label("Account name").fill("campaign-organiser")
    page.get_by_label("Passphrase").fill(PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/organisers/")

    page.goto(live_server.url + "/organisers/campaigns/new")
    page.get_by_label("Title", exact=True).fill("Gated walkout")
    page.get_by_label("Short name, used in the address (letters, digits, dashes)").fill("gated")
    page.get_by_label("The demand (plain text; leave a blank line between paragraphs)").fill(
        "No more contracts with ICE."
    )
    page.get_by_label("Employer", exact=True).fill("Acme Cloud")
    page.get_by_label("Threshold: pledges needed before anyone can read them").fill("10")
    deadline = (datetime.now(UTC) + timedelta(days=20)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Deadline (UTC)").fill(deadline)
    page.get_by_label("The server and a number of gatekeepers").check()
    page.get_by_label("Gatekeepers (independent organisations)").fill("3")
    page.get_by_label("Shares required").fill("2")
    # Paper sheets: the offline mode, in which the organiser is shown every share once.
    page.get_by_label("Paper sheets, for offline use", exact=False).check()
    page.get_by_role("button", name="Create the campaign").click()

    assert page.get_by_role("heading", name="Gatekeeper shares for Gated walkout").is_visible()
    assert page.locator("svg.gate-share-qr").count() == 3
    assert page.get_by_text("You are the trusted dealer of these shares.").is_visible()
    assert page.get_by_text("cut here").count() == 6
    first_words = page.locator("ol.share-words").first.locator("li").all_inner_texts()
    assert len(first_words) == 33
    save_screenshot(page, "campaign-gatekeeper-shares")

    page.get_by_role("link", name="I have printed the shares: continue").click()
    page.wait_for_url("**/organisers/campaigns/gated")
    assert " ".join(first_words) not in page.content()
    assert page.get_by_text("the server and 2 of the 3 gatekeepers").is_visible()
    save_screenshot(page, "campaign-organiser-detail")
