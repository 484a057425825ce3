"""Surveys in headless Chromium with JavaScript off: an organiser defines one, a worker answers
it and keeps the receipt, the team closes it and reads the results."""

from __future__ import annotations

import httpx

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE
from tests.surveys.conftest import survey_file

OWNER = "survey-browser"


def _sign_in(page, url: str) -> None:
    page.goto(url + "/organisers/login")
    page.fill("#username", OWNER)
    page.fill("#passphrase", PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()


def test_define_answer_and_read_results_without_javascript(live_server, browser, page):
    live_server.create_organiser(OWNER, "organiser")
    _sign_in(page, live_server.url)
    page.goto(live_server.url + "/organisers/surveys/new")
    page.fill("#title", "The cloud contract")
    page.fill("#slug", "browser-survey")
    page.fill("#k", "3")
    questions = survey_file()["questions"]
    for slot, question in enumerate(questions):
        page.fill(f"#q{slot}_text", question["text"])
        page.select_option(f"#q{slot}_type", question["type"])
        page.fill(f"#q{slot}_id", question["id"])
        options = "\n".join(str(option) for option in question.get("options", []))
        page.fill(f"#q{slot}_options", options)
        for key in ("min", "max", "max_length"):
            page.fill(f"#q{slot}_{key}", str(question.get(key, "")))
    page.locator("input[name=q0_crosstab]").check()
    page.locator("input[name=q0_required]").check()
    save_screenshot(page, "survey-new")
    page.get_by_role("button", name="Create the survey", exact=True).click()
    assert page.locator("h1").inner_text() == "The cloud contract"
    page.fill("#count", "4")
    page.get_by_role("button", name="Make codes").click()
    codes = [code.inner_text() for code in page.locator("ul.codes code").all()]
    assert len(codes) == 4
    save_screenshot(page, "survey-organiser")
    # Before the first answer, the definition can still change on the web.
    page.get_by_role("link", name="Change the definition").click()
    assert '"slug": "browser-survey"' in page.locator("#definition").input_value()
    save_screenshot(page, "survey-edit")
    page.get_by_role("link", name="Back to the survey").click()

    # A worker, in another browser context (no session), answers with the first code.
    worker = browser.new_context(java_script_enabled=False)
    tab = worker.new_page()
    # No public list of surveys: a plain page says why.
    tab.goto(live_server.url + "/surveys/")
    assert "Surveys are not listed here" in tab.content()
    save_screenshot(tab, "surveys-no-list")
    tab.goto(live_server.url + "/surveys/browser-survey")
    assert "operator could read them" in tab.content()
    tab.fill("#invite_code", codes[0])
    tab.locator("input[name=unit][value=Infra]").check()
    tab.locator("input[name=issues][value=pay]").check()
    tab.locator("input[name=ready][value='4']").check()
    tab.locator("input[name=act_if][value='3']").check()
    tab.fill("textarea[name=why]", "written in a browser")
    save_screenshot(tab, "survey-answer")
    tab.get_by_role("button", name="Send my answers").click()
    receipt = tab.locator("#receipt").inner_text()
    assert len(receipt.split("-")) == 8
    save_screenshot(tab, "survey-receipt")
    tab.fill("#check", " ".join(receipt.split("-")[-2:]))
    tab.get_by_role("button", name="I have written it down").click()
    assert tab.locator("h1").inner_text() == "Done"
    tab.goto(live_server.url + "/surveys/responses/status")
    tab.fill("#receipt", receipt)
    tab.get_by_role("button", name="Check").click()
    assert "Your answer is counted." in tab.content()
    assert "written in a browser" not in tab.content()
    worker.close()

    for code in codes[1:]:
        response = httpx.post(
            f"{live_server.url}/api/v1/surveys/browser-survey/responses",
            json={"invite_code": code, "answers": {"unit": "Infra", "ready": 4}},
            timeout=30,
        )
        assert response.status_code == 201, response.text

    page.goto(live_server.url + "/organisers/surveys/browser-survey")
    page.locator("input[name=confirm]").check()
    page.get_by_role("button", name="Close now").click()
    assert "4 responses were counted." in page.content()
    save_screenshot(page, "survey-results")
    tables = page.locator(".survey-results table")
    assert tables.count() >= 4
    assert "hidden" in page.content()
