"""Concurrent answers on PostgreSQL: every one accepted is counted at the release, and a close
racing with answers counts exactly those that were accepted."""

from __future__ import annotations

import asyncio

import pytest

from organise.refusal import Refused
from organise.surveys import answering, definition, release, setup
from organise.surveys.models import Survey, SurveyResponse
from tests.conftest import RACE_MARKS
from tests.surveys.conftest import answer, codes_for, make_survey, survey_file

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

WAVE = 30


async def test_concurrent_answers_are_all_counted_at_the_release(app, client):
    survey = await make_survey(app, k=3)
    codes = await codes_for(app, survey, WAVE)
    units = ["Infra" if number % 3 else "Ads" for number in range(WAVE)]
    statuses = await asyncio.gather(
        *(
            answer(client, survey.slug, {"unit": unit, "ready": 3}, code)
            for code, unit in zip(codes, units, strict=True)
        )
    )
    assert [response.status_code for response in statuses] == [201] * WAVE
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    results = (await Survey.get(id=survey.id)).results
    assert results is not None
    assert results["responses"] == WAVE
    counts = results["questions"][0]["counts"]
    assert counts == {"Infra": units.count("Infra"), "Ads": units.count("Ads")}


async def test_a_close_racing_answers_counts_exactly_the_accepted_ones(app, client):
    survey = await make_survey(app, k=3)
    codes = await codes_for(app, survey, WAVE)

    async def close_midway() -> bool:
        await asyncio.sleep(0.05)
        return await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)

    *answered, closed = await asyncio.gather(
        *(answer(client, survey.slug, {"unit": "Infra"}, code) for code in codes),
        close_midway(),
    )
    assert closed is True
    accepted = sum(1 for response in answered if response.status_code == 201)
    assert all(response.status_code in (201, 409) for response in answered)
    results = (await Survey.get(id=survey.id)).results
    assert results is not None
    expected = accepted if accepted >= 3 else None
    assert results["responses"] == expected


async def test_a_redefinition_racing_answers_leaves_no_answer_read_against_the_old_one(app, client):
    # Each answer is read and sealed against the definition it found; the team redefines the
    # counting meanwhile. Either the redefinition wins and every answer read before it is refused
    # (nothing stored), or an answer wins and the redefinition is refused: never both.
    survey = await make_survey(app, k=3)
    codes = await codes_for(app, survey, WAVE)
    pepper = app.state.runtime.code_pepper
    answers = answering.read_answers(survey, {"unit": "Infra"}, from_form=False)
    redefined = definition.check(survey_file(k=4))

    async def one(code: str, start: float) -> str:
        await asyncio.sleep(start)
        try:
            await answering.answer(survey, answers, invite_code=code, pepper=pepper)
        except Refused as refused:
            return refused.code
        return "stored"

    async def redefine() -> str:
        try:
            await setup.redefine(await Survey.get(id=survey.id), redefined, acting=None)
        except Refused as refused:
            return refused.code
        return "redefined"

    # The redefinition starts first, answers one a millisecond from 2 ms on: some are read
    # against the old definition while it commits.
    *outcomes, redefinition = await asyncio.gather(
        *(one(code, 0.002 + index * 0.001) for index, code in enumerate(codes)), redefine()
    )
    stored = await SurveyResponse.filter(survey_id=survey.id).count()
    assert stored == outcomes.count("stored")
    assert set(outcomes) <= {"stored", "survey_changed"}
    if redefinition == "redefined":
        assert stored == 0
        assert (await Survey.get(id=survey.id)).k == 4
    else:
        assert redefinition == "answers_in"
        assert stored >= 1
        assert (await Survey.get(id=survey.id)).k == 3
