"""A reload, or Back and the same answers sent again, shows the same receipt, in Chromium with
JavaScript off: for the sign form and the report form. Nothing is filed twice."""

from __future__ import annotations

import sqlite3

from tests.browser.conftest import SLUG, campaign_with_a_code, save_screenshot

DETAILS = "The licence-plate reader data goes to the fusion centre every night."


def _rows(live_server, table: str) -> int:
    database = live_server.instance_dir / "organise.sqlite3"
    with sqlite3.connect(database) as connection:
        return connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608


def _fill_pledge(page, code: str) -> None:
    page.get_by_label("Invite code").fill(code)
    page.get_by_label("Name or pseudonym").fill("Rosa P.")
    page.get_by_label("A short message (optional)").fill("Count me in.")


def test_the_sign_form_shows_the_same_receipt_after_a_reload_and_after_back(page, live_server):
    code = campaign_with_a_code(live_server)
    page.goto(f"{live_server.url}/campaigns/{SLUG}/sign")
    address = page.url
    assert "/sign?t=" in address
    _fill_pledge(page, code)
    save_screenshot(page, "receipts-sign-form")
    page.get_by_role("button", name="Sign the pledge").click()
    receipt = page.locator("#receipt").inner_text()
    assert len(receipt.split("-")) == 8

    page.reload()  # the browser sends the same form to the same address again
    assert page.locator("#receipt").inner_text() == receipt

    page.evaluate("history.back()")  # Back reloads the form (no-store) at the same address
    page.wait_for_url(address)
    assert page.locator("h1").inner_text().startswith("Sign")
    _fill_pledge(page, code.lower())
    page.get_by_role("button", name="Sign the pledge").click()
    assert page.locator("#receipt").inner_text() == receipt
    assert _rows(live_server, "campaign_pledge") == 1
    assert page.get_by_role("heading", name="Pledge receipt").is_visible()
    save_screenshot(page, "receipts-pledge-receipt-confirm-step")

    with page.expect_popup() as opened:  # a form with target=_blank: no JavaScript needed
        page.get_by_role("button", name="Printable version").click()
    printable = opened.value
    printable.wait_for_load_state()
    assert printable.locator("code.secret").inner_text() == receipt
    assert "/pledges/receipt" in printable.url
    assert "Refuse Project Lantern" not in printable.content()
    assert SLUG not in printable.content()
    save_screenshot(printable, "receipts-printable")
    printable.close()

    page.get_by_label("To confirm you have it, type the last two words of your receipt").fill(
        " ".join(receipt.split("-")[-2:])
    )
    page.get_by_role("button", name="I have written it down").click()
    assert receipt not in page.content()
    assert _rows(live_server, "submission") == 0
    page.reload()  # a reload of the confirmation stays neutral
    assert receipt not in page.content()

    page.get_by_role("link", name="Check my pledge").click()
    page.get_by_label("Your receipt (eight words)").fill(receipt.replace("-", " "))
    page.get_by_role("button", name="Check").click()
    assert page.get_by_text("Your pledge is recorded and sealed").is_visible()
    save_screenshot(page, "receipts-status")
    assert page.context.cookies() == []


def test_the_report_form_shows_the_same_receipt_after_a_reload_and_after_back(page, live_server):
    page.goto(f"{live_server.url}/reports/new")
    address = page.url
    assert "/reports/new?t=" in address

    def fill() -> None:
        page.fill("#employer", "Skyward Drones Ltd")
        page.check("input[name=technologies][value=licence-plate-readers]")
        page.check("input[name=status][value=known-internally]")
        page.fill("#details", DETAILS)

    fill()
    page.get_by_role("button", name="Send the report").click()
    receipt = page.locator("section.receipt-card code.secret").inner_text()
    assert len(receipt.split("-")) == 8
    page.reload()
    assert page.locator("section.receipt-card code.secret").inner_text() == receipt
    page.evaluate("history.back()")
    page.wait_for_url(address)
    fill()
    page.get_by_role("button", name="Send the report").click()
    assert page.locator("section.receipt-card code.secret").inner_text() == receipt
    assert page.get_by_role("heading", name="Report receipt").is_visible()
    assert _rows(live_server, "report") == 1
    save_screenshot(page, "receipts-report-receipt")
    page.fill("#check", " ".join(receipt.split("-")[-2:]))
    page.get_by_role("button", name="I have written it down").click()
    assert page.locator("h1").inner_text() == "Thank you"
    assert _rows(live_server, "submission") == 0
