"""Answering through the API: receipts, replacing, withdrawing, and bad input refused whole."""

from __future__ import annotations

from datetime import timedelta

import pytest

from organise.refusal import Refused
from organise.surveys import answering, definition, release, setup
from organise.surveys.models import Survey, SurveyInvite, SurveyResponse
from tests.surveys.conftest import (
    CANARY,
    QUESTIONS,
    answer,
    answered,
    codes_for,
    make_survey,
    survey_file,
)

GOOD = {"unit": "Infra", "issues": ["pay", "ice"], "ready": 4, "act_if": 5, "why": "because"}


async def test_an_answer_gets_a_receipt_that_says_counted_and_nothing_more(app, client):
    survey = await make_survey(app)
    receipt = await answered(app, client, survey, GOOD)
    assert len(receipt.split("-")) == 8
    status = await client.post("/api/v1/surveys/responses/status", json={"receipt": receipt})
    assert status.status_code == 200
    body = status.json()
    assert body == {"survey": "cloud-2027", "status": "counted", "state": "open"}
    # Nothing of the answer comes back.
    assert "Infra" not in status.text
    assert "because" not in status.text


async def test_the_survey_json_gives_its_questions_and_says_the_operator_can_open(app, client):
    await make_survey(app)
    response = await client.get("/api/v1/surveys/cloud-2027")
    assert response.status_code == 200
    body = response.json()
    assert [q["id"] for q in body["questions"]] == ["unit", "issues", "ready", "act_if", "why"]
    assert body["operator_can_open"] is True
    assert body["state"] == "open"
    assert (await client.get("/api/v1/surveys/nope")).status_code == 404


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({**GOOD, "unit": "Sales"}, "unit"),  # unknown option
        ({**GOOD, "issues": ["pay", "golf"]}, "issues"),
        ({**GOOD, "ready": "4"}, "ready"),  # wrong type
        ({**GOOD, "ready": 9}, "ready"),  # out of the scale
        ({**GOOD, "act_if": 4}, "act_if"),  # not one of the Ns
        ({**GOOD, "act_if": True}, "act_if"),
        ({**GOOD, "why": "x" * 301}, "why"),  # oversized text
        ({k: v for k, v in GOOD.items() if k != "unit"}, "unit"),  # required
        ({**GOOD, "extra": "1"}, "extra"),  # not a question
    ],
)
async def test_bad_answers_are_refused_and_nothing_is_stored(app, client, answers, field):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    response = await answer(client, survey.slug, answers, code)
    assert 400 <= response.status_code < 500, response.text
    assert field in response.json()["error"]["fields"]
    assert await SurveyResponse.all().count() == 0
    # The code was not used up by a refused answer.
    assert await SurveyInvite.filter(survey_id=survey.id).count() == 1


async def test_answers_not_an_object_and_unknown_body_fields_are_refused(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    for body in (
        {"invite_code": code, "answers": ["Infra"]},
        {"invite_code": code, "answers": GOOD, "name": "me"},
        {"invite_code": 12, "answers": GOOD},
    ):
        response = await client.post(f"/api/v1/surveys/{survey.slug}/responses", json=body)
        assert response.status_code == 422, response.text
    assert await SurveyResponse.all().count() == 0


async def test_a_code_works_once_and_a_made_up_code_not_at_all(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    assert (await answer(client, survey.slug, GOOD, code)).status_code == 201
    again = await answer(client, survey.slug, GOOD, code)
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "invite_code_refused"
    missing = await answer(client, survey.slug, GOOD)
    assert missing.status_code == 422
    assert await SurveyResponse.all().count() == 1


async def test_a_campaign_style_code_of_another_survey_is_refused(app, client):
    first = await make_survey(app)
    second = await make_survey(app, slug="other")
    (code,) = await codes_for(app, first)
    assert (await answer(client, second.slug, GOOD, code)).status_code == 403
    assert await SurveyResponse.all().count() == 0


async def test_an_answer_checked_against_a_definition_changed_meanwhile_is_refused(app, client):
    # The answer is read and sealed against the questions as they were when it arrived; the
    # team redefines the survey before it is stored (nothing was in yet, so that is allowed).
    arrived = await make_survey(app)
    (code,) = await codes_for(app, arrived)
    other_units = [{**QUESTIONS[0], "options": ["Sales", "Legal"]}, *QUESTIONS[1:]]
    redefined = definition.check(survey_file(questions=other_units, k=5))
    await setup.redefine(await Survey.get(id=arrived.id), redefined, acting=None)
    pepper = app.state.runtime.code_pepper
    answers = answering.read_answers(arrived, GOOD, from_form=False)
    with pytest.raises(Refused) as refused:
        await answering.answer(arrived, answers, invite_code=code, pepper=pepper)
    assert (refused.value.status, refused.value.code) == (409, "survey_changed")
    # Nothing stored, and the code is still there to answer the survey as it is now.
    assert await SurveyResponse.all().count() == 0
    assert await SurveyInvite.filter(survey_id=arrived.id).count() == 1
    now = await Survey.get(id=arrived.id)
    assert await answered(app, client, now, {**GOOD, "unit": "Sales"})


async def test_an_open_survey_redefined_meanwhile_refuses_the_answer_read_before(app, client):
    # Without invite codes there is no code to spend: the open check alone must see the change.
    arrived = await make_survey(app, invite_mode="open")
    redefined = definition.check(survey_file(invite_mode="open", k=4))
    await setup.redefine(await Survey.get(id=arrived.id), redefined, acting=None)
    answers = answering.read_answers(arrived, GOOD, from_form=False)
    with pytest.raises(Refused) as refused:
        await answering.answer(arrived, answers, invite_code="", pepper=b"p" * 32)
    assert (refused.value.status, refused.value.code) == (409, "survey_changed")
    assert await SurveyResponse.all().count() == 0


async def test_new_words_alone_do_not_refuse_an_answer_read_before_them(app, client):
    # Titles, the introduction and translations may change while answers arrive: they are not
    # counted, so an answer read before them is still stored.
    arrived = await make_survey(app)
    (code,) = await codes_for(app, arrived)
    reworded = definition.check(survey_file(title="The cloud contract, again", intro="New words."))
    stored = await setup.redefine(await Survey.get(id=arrived.id), reworded, acting=None)
    assert stored.definition_version == arrived.definition_version
    answers = answering.read_answers(arrived, GOOD, from_form=False)
    pepper = app.state.runtime.code_pepper
    assert await answering.answer(arrived, answers, invite_code=code, pepper=pepper)
    assert await SurveyResponse.filter(survey_id=arrived.id).count() == 1


async def test_answers_after_the_close_are_refused(app, client):
    survey = await make_survey(app)
    (late,) = await codes_for(app, survey, 1)
    receipt = await answered(app, client, survey, GOOD)
    for _ in range(2):  # k = 3: the receipts stay after the release
        await answered(app, client, survey, GOOD)
    runtime = app.state.runtime
    assert await release.release(survey.id, keystore=runtime.keystore, early=True)
    refused = await answer(client, survey.slug, GOOD, late)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "survey_closed"
    change = await client.post(
        "/api/v1/surveys/responses/change", json={"receipt": receipt, "answers": GOOD}
    )
    assert change.status_code == 409
    withdraw = await client.post("/api/v1/surveys/responses/withdraw", json={"receipt": receipt})
    assert withdraw.status_code == 409


async def test_below_k_the_receipts_go_with_the_answers_at_the_release(app, client):
    survey = await make_survey(app)
    receipt = await answered(app, client, survey, GOOD)
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    assert await SurveyResponse.all().count() == 0
    status = await client.post("/api/v1/surveys/responses/status", json={"receipt": receipt})
    assert status.status_code == 404


async def test_an_answer_past_the_closing_time_is_refused_before_the_tick(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    await Survey.filter(id=survey.id).update(closes_at=survey.created_at - timedelta(hours=1))
    response = await answer(client, survey.slug, GOOD, code)
    assert response.status_code == 409
    assert await SurveyResponse.all().count() == 0


async def test_change_replaces_the_sealed_answer_and_withdraw_deletes_it(app, client):
    survey = await make_survey(app)
    receipt = await answered(app, client, survey, GOOD)
    before = bytes((await SurveyResponse.get()).sealed_choices)
    changed = await client.post(
        "/api/v1/surveys/responses/change",
        json={"receipt": receipt, "answers": {"unit": "Ads"}},
    )
    assert changed.status_code == 200, changed.text
    row = await SurveyResponse.get()
    assert bytes(row.sealed_choices) != before
    assert len(row.sealed_choices) == len(before)
    bad = await client.post(
        "/api/v1/surveys/responses/change", json={"receipt": receipt, "answers": {"unit": "X"}}
    )
    assert bad.status_code == 422
    assert bytes((await SurveyResponse.get()).sealed_choices) == bytes(row.sealed_choices)
    gone = await client.post("/api/v1/surveys/responses/withdraw", json={"receipt": receipt})
    assert gone.status_code == 200
    assert gone.json()["withdrawn"] is True
    assert await SurveyResponse.all().count() == 0
    status = await client.post("/api/v1/surveys/responses/status", json={"receipt": receipt})
    assert status.status_code == 404


async def test_the_same_idempotency_key_gives_the_same_receipt_once(app, client):
    survey = await make_survey(app)
    (code,) = await codes_for(app, survey)
    headers = {"Idempotency-Key": "k" * 32}
    body = {"invite_code": code, "answers": GOOD}
    first = await client.post(
        f"/api/v1/surveys/{survey.slug}/responses", json=body, headers=headers
    )
    second = await client.post(
        f"/api/v1/surveys/{survey.slug}/responses", json=body, headers=headers
    )
    assert first.status_code == second.status_code == 201
    assert first.json()["receipt"] == second.json()["receipt"]
    assert await SurveyResponse.all().count() == 1
    other = await client.post(
        f"/api/v1/surveys/{survey.slug}/responses",
        json={**body, "answers": {**GOOD, "unit": "Ads"}},
        headers=headers,
    )
    assert other.status_code == 422


async def test_every_sealed_answer_of_a_survey_has_one_length(app, client):
    survey = await make_survey(app)
    await answered(app, client, survey, {"unit": "Infra"})
    await answered(app, client, survey, {**GOOD, "why": CANARY * 10})
    await answered(app, client, survey, {**GOOD, "issues": ["pay", "ethics", "ice"]})
    rows = await SurveyResponse.all()
    assert len({len(row.sealed_choices) for row in rows}) == 1
    assert len({len(row.sealed_texts) for row in rows}) == 1


async def test_onward_codes_are_given_only_down_to_the_depth(app, client):
    survey = await make_survey(app, onward_invites=1, invite_depth=1, k=3)
    (code,) = await codes_for(app, survey)
    first = await answer(client, survey.slug, GOOD, code)
    (onward,) = first.json()["invite_codes"]
    second = await answer(client, survey.slug, GOOD, onward)
    assert second.status_code == 201
    assert second.json()["invite_codes"] == []
