"""A reporter reports, keeps the receipt, and later reads a reviewer's reply and answers it,
all with JavaScript off and no cookies; the reviewer works in their own browser context."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE

DETAILS = "The drone footage is streamed to the sheriff's real-time crime centre."
QUESTION = "Thank you. Do you know roughly when the streaming started?"
ANSWER = "Spring 2024, as far as I know."


def _create_reviewer(live_server, tmp_path) -> None:
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    created = live_server.run_cli(
        "organiser",
        "create",
        "rev-browser",
        "--role",
        "reviewer",
        "--passphrase-file",
        str(passphrase_file),
    )
    assert created.returncode == 0, created.stderr


def _report_a_contract(page, url: str) -> str:
    page.goto(url + "/")
    page.locator("main").get_by_role("link", name="Report a contract").click()
    assert page.locator("h1").inner_text() == "Report a contract"
    page.fill("#employer", "Skyward Drones Ltd")
    page.fill("#agency", "Riverside County Sheriff")
    page.select_option("#agency_type", "sheriff")
    page.select_option("#country", "US")
    page.check("input[name=technologies][value=drones-robots]")
    page.check("input[name=technologies][value=fusion-rtcc-software]")
    page.check("input[name=status][value=known-internally]")
    page.check("input[name=relation][value=current-employee]")
    page.fill("#period_start", "2024-03")
    page.fill("#details", DETAILS)
    page.get_by_role("button", name="Send the report").click()
    receipt = page.locator("code.secret").inner_text().strip()
    assert re.fullmatch(r"[a-z]+(-[a-z]+){7}", receipt)
    save_screenshot(page, "reports-receipt")
    page.fill("#check", " ".join(receipt.split("-")[-2:]))
    page.get_by_role("button", name="I have written it down").click()
    assert page.locator("h1").inner_text() == "Thank you"
    assert receipt not in page.content()
    return receipt


def _reviewer_replies(browser, url: str) -> None:
    context = browser.new_context(java_script_enabled=False)
    reviewer = context.new_page()
    try:
        reviewer.goto(url + "/organisers/login")
        reviewer.fill("#username", "rev-browser")
        reviewer.fill("#passphrase", PASSPHRASE)
        reviewer.get_by_role("button", name="Sign in").click()
        reviewer.goto(url + "/organisers/reports/")
        reviewer.locator("table.contracts a").first.click()
        assert DETAILS in reviewer.locator("blockquote.details").inner_text()
        reviewer.fill("#message", QUESTION)
        reviewer.get_by_role("button", name="Send to the reporter").click()
        assert QUESTION in reviewer.locator("ol.messages").inner_text()
        save_screenshot(reviewer, "reports-review")
    finally:
        context.close()


def test_reporter_follows_up_with_the_receipt_without_javascript(
    page, browser, live_server, tmp_path
):
    _create_reviewer(live_server, tmp_path)
    receipt = _report_a_contract(page, live_server.url)
    _reviewer_replies(browser, live_server.url)

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Follow up on a report with your receipt").click()
    page.fill("#receipt", receipt.replace("-", " "))
    response_holder = []
    page.on("response", lambda r: response_holder.append(r))
    page.get_by_role("button", name="Open my report").click()
    assert "/reports/follow-up?t=" in page.url  # the form's token, never the receipt
    assert receipt not in page.url
    assert "Received; not reviewed yet." in page.locator("dd.state").inner_text()
    messages = page.locator("ol.messages")
    assert QUESTION in messages.inner_text()
    save_screenshot(page, "reports-follow-up-with-reply")

    page.fill("#message", ANSWER)
    page.get_by_role("button", name="Send").click()
    assert "Your message was sent to the reviewers." in page.locator("p.notice").inner_text()
    texts = page.locator("ol.messages li .body").all_inner_texts()
    assert texts == [QUESTION, ANSWER]
    save_screenshot(page, "reports-follow-up-answered")

    assert page.context.cookies() == []
    for response in response_holder:
        assert "set-cookie" not in response.headers
        assert receipt not in response.url


def test_public_database_browses_and_filters_without_javascript(page, live_server):
    atlas = (
        Path(__file__).resolve().parents[2].parent
        / "shared/data/atlas-of-surveillance-2020-10-07.csv"
    )
    if not atlas.exists():
        pytest.fail(f"The Atlas snapshot is missing at {atlas} (see shared/data/README.md)")
    imported = live_server.run_cli("import", "atlas", str(atlas))
    assert imported.returncode == 0, imported.stderr
    assert "Contracts created:  5783" in imported.stdout

    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Browse the public database of contracts").click()
    page.select_option("#technology", "gunshot-detection")
    page.select_option("#employer", "shotspotter")
    page.get_by_role("button", name="Search").click()
    assert "technology=gunshot-detection" in page.url
    assert "published contracts match." in page.locator("p[role=status]").inner_text()
    save_screenshot(page, "contracts-search")
    page.locator("table.contracts tbody a").nth(1).click()  # the first agency's record
    assert page.get_by_role("heading", name="Sources").is_visible()
    assert "Atlas of Surveillance" in page.content()
    save_screenshot(page, "contracts-record")
    page.locator("dl.facts a").first.click()  # its employer's page
    assert page.locator("h1").inner_text() == "ShotSpotter"
    assert page.context.cookies() == []


def test_a_refused_report_shows_every_problem_beside_its_field_and_keeps_the_answers(
    page, live_server
):
    page.goto(live_server.url + "/reports/new")
    required = page.locator("span.required")
    assert required.count() == 3
    page.fill("#agency", "Riverside County Sheriff")
    page.fill("#period_start", "2025-05")
    page.fill("#period_end", "2024-01")
    page.check("input[name=relation][value=former-employee]")
    page.fill("#details", DETAILS)
    page.get_by_role("button", name="Send the report").click()
    errors = {
        error.get_attribute("id"): error.inner_text()
        for error in page.locator("p.field-error").all()
    }
    assert errors == {
        "employer-error": "Employer is required.",
        "technologies-error": "Choose at least one technology.",
        "status-error": "Say how public this contract is.",
        "period_end-error": "The end month is before the start month.",
    }
    # Each message sits right above its own control, and the control points back at it.
    assert page.locator("#employer").get_attribute("aria-invalid") == "true"
    assert "employer-error" in page.locator("#employer").get_attribute("aria-describedby")
    assert page.input_value("#agency") == "Riverside County Sheriff"
    assert page.input_value("#details") == DETAILS
    assert page.is_checked("input[name=relation][value=former-employee]")
    save_screenshot(page, "reports-form-errors")
    page.fill("#employer", "motorola solutions")
    page.check("input[name=technologies][value=drones-robots]")
    page.check("input[name=status][value=rumoured]")
    page.fill("#period_end", "")
    page.get_by_role("button", name="Send the report").click()
    assert re.fullmatch(r"[a-z]+(-[a-z]+){7}", page.locator("code.secret").inner_text().strip())
