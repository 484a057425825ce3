"""The worker pages: answer without JavaScript or cookies, the receipt once, then use it."""

from __future__ import annotations

import dataclasses
import re

from organise.app import create_app
from organise.i18n import written
from organise.surveys import release
from organise.surveys.models import SurveyResponse
from tests.conftest import running_client
from tests.support import post_form, signed_in_organiser
from tests.surveys.conftest import QUESTIONS, answered, codes_for, make_survey

FORM = {
    "unit": "Infra",
    "issues": ["pay", "ice"],
    "ready": "4",
    "act_if": "5",
    "why": "line one\r\nline two",
}


async def _form_address(client, slug: str) -> str:
    moved = await client.get(f"/surveys/{slug}")
    assert moved.status_code == 303
    return moved.headers["location"]


async def test_the_survey_page_needs_no_script_sets_no_cookie_and_names_the_operator(app, client):
    await make_survey(app)
    address = await _form_address(client, "cloud-2027")
    page = await client.get(address)
    assert page.status_code == 200
    assert "<script" not in page.text
    assert "set-cookie" not in page.headers
    assert "operator could read them" in page.text
    for label in ("Where do you work?", "Infra", "What matters?", "How ready are you?"):
        assert label in page.text
    assert (await client.get("/surveys/no-such-survey")).status_code == 404


async def test_answering_through_the_form_shows_the_receipt_once_then_forgets_it(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    address = await _form_address(client, survey.slug)
    sent = await post_form(client, address, {**FORM, "invite_code": code})
    assert sent.status_code == 200, sent.text
    assert "set-cookie" not in sent.headers
    receipt = re.search(r'id="receipt">([a-z-]+)<', sent.text)
    assert receipt is not None
    # Sent again (a reload): the same receipt, nothing new stored.
    again = await post_form(client, address, {**FORM, "invite_code": code})
    assert receipt.group(1) in again.text
    assert await SurveyResponse.all().count() == 1
    words = receipt.group(1).split("-")
    confirm = re.search(r'action="([^"]*/confirmed\?t=[^"]+)"', sent.text)
    assert confirm is not None
    done = await post_form(
        client,
        confirm.group(1).replace("&amp;", "&"),
        {"receipt": receipt.group(1), "check": " ".join(words[-2:])},
    )
    assert done.status_code == 200
    # Once confirmed, the same form shows no receipt again: the code is spent.
    after = await post_form(client, address, {**FORM, "invite_code": code})
    assert receipt.group(1) not in after.text
    assert after.status_code == 403


async def test_a_refused_form_says_what_is_wrong_and_stores_nothing(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    address = await _form_address(client, survey.slug)
    sent = await post_form(
        client, address, {**FORM, "unit": "Sales", "why": "x" * 301, "invite_code": code}
    )
    assert sent.status_code == 422
    assert "not one of the options offered" in sent.text
    assert "at most 300 characters" in sent.text
    assert await SurveyResponse.all().count() == 0


async def test_the_receipt_page_replaces_withdraws_and_later_shows_results(app, client):
    survey = await make_survey(app)
    receipts = [
        await answered(app, client, survey, {"unit": "Infra", "ready": 5}) for _ in range(3)
    ]
    status = await post_form(client, "/surveys/responses/status", {"receipt": receipts[0]})
    assert status.status_code == 200
    assert "Your answer is counted." in status.text
    change = re.search(r'action="(/surveys/responses/change\?t=[^"]+)"', status.text)
    assert change is not None
    changed = await post_form(
        client, change.group(1), {"receipt": receipts[0], "unit": "Ads", "ready": "2"}
    )
    assert changed.status_code == 200, changed.text
    assert "replace the earlier ones" in changed.text
    withdraw = await client.get("/surveys/responses/withdraw")
    address = withdraw.headers["location"]
    unticked = await post_form(client, address, {"receipt": receipts[1]})
    assert unticked.status_code == 422
    gone = await post_form(client, address, {"receipt": receipts[1], "confirm": "yes"})
    assert "is deleted" in gone.text
    assert await SurveyResponse.all().count() == 2
    await answered(app, client, survey, {"unit": "Infra", "ready": 5})
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    shown = await post_form(client, "/surveys/responses/status", {"receipt": receipts[2]})
    assert "3 responses were counted." in shown.text
    assert "Replace my answers" not in shown.text


async def test_the_public_page_shows_results_only_once_the_team_publishes_them(app, client):
    survey = await make_survey(app)
    for _ in range(3):
        await answered(app, client, survey, {"unit": "Infra"})
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    closed = await client.get(await _form_address(client, survey.slug))
    assert "This survey is closed." in closed.text
    assert "responses were counted" not in closed.text
    assert "results" not in (await client.get("/api/v1/surveys/cloud-2027")).json()
    await survey.__class__.filter(id=survey.id).update(results_public=True)
    shown = await client.get(await _form_address(client, survey.slug))
    assert "3 responses were counted." in shown.text
    assert (await client.get("/api/v1/surveys/cloud-2027")).json()["results"]["responses"] == 3


async def test_a_survey_with_many_options_takes_every_ticked_box(app, client):
    options = [f"o{number}" for number in range(30)]
    questions = [
        {"id": "unit", "type": "choice", "text": "Where?", "options": ["Infra", "Ads"]},
        {"id": "many", "type": "multi", "text": "Which?", "options": options},
        {"id": "more", "type": "multi", "text": "And?", "options": options},
    ]
    survey = await make_survey(app, questions=questions)
    (code,) = await codes_for(app, survey)
    address = await _form_address(client, survey.slug)
    form = {"invite_code": code, "unit": "Infra", "many": options, "more": options}
    sent = await post_form(client, address, form)
    assert sent.status_code == 200, sent.text[:500]
    assert await SurveyResponse.all().count() == 1


async def test_there_is_no_public_list_of_surveys_and_the_404_says_why(app, client):
    await make_survey(app)
    for address in ("/surveys/", "/surveys"):
        answer = await client.get(address, follow_redirects=True)
        assert answer.status_code == 404
        assert "Surveys are not listed here" in answer.text
        assert "which workplaces are being surveyed" in answer.text
        assert "cloud-2027" not in answer.text
        assert "<script" not in answer.text


async def test_labels_show_in_the_readers_language_and_answers_count_by_identifier(
    settings, monkeypatch
):
    monkeypatch.setattr(written, "languages", lambda: ("en", "fr"))
    app = create_app(dataclasses.replace(settings, languages=("en", "fr")))
    async with running_client(app) as client:
        await _labels_in_the_readers_language(app, client)


async def _labels_in_the_readers_language(app, client):
    unit = {**QUESTIONS[0], "options": [{"id": "infra", "label": "Infrastructure"}, "Ads"]}
    french = {
        "title": "Le contrat cloud",
        "questions": {
            "unit": {"text": "Où travaillez-vous ?", "options": {"infra": "Infrastructures FR"}}
        },
    }
    survey = await make_survey(app, questions=[unit, *QUESTIONS[1:]], translations={"fr": french})
    address = await _form_address(client, survey.slug)
    english = await client.get(address)
    assert "Infrastructure" in english.text
    assert "Infrastructures FR" not in english.text
    assert 'value="infra"' in english.text
    # The French address (organise/web/language_prefix.py).
    shown = await client.get(f"/fr{address}")
    assert "Le contrat cloud" in shown.text
    assert "Où travaillez-vous ?" in shown.text
    assert "Infrastructures FR" in shown.text
    assert 'value="infra"' in shown.text  # the form sends the id, whatever the language
    assert "Ads" in shown.text  # no translation: the default label
    (code,) = await codes_for(app, survey)
    sent = await post_form(client, f"/fr{address}", {"unit": "infra", "invite_code": code})
    assert sent.status_code == 200, sent.text
    for answers in ({"unit": "infra"}, {"unit": "infra"}, *[{"unit": "Ads"}] * 3):
        await answered(app, client, survey, answers)
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    await signed_in_organiser(client, "alex")
    results = (await client.get("/organisers/surveys/cloud-2027/results.json")).json()
    unit_counts = next(q for q in results["questions"] if q["id"] == "unit")["counts"]
    assert unit_counts == {"infra": 3, "Ads": 3}
    # Organiser pages stay English: they have no French address.
    assert (await client.get("/fr/organisers/surveys/cloud-2027")).status_code == 404
    english_page = await client.get("/organisers/surveys/cloud-2027")
    assert "Infrastructure" in english_page.text
    assert "Infrastructures FR" not in english_page.text
