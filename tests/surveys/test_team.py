"""A survey's team: who is on it, and a passphrase reset taking an account off it."""

from __future__ import annotations

from datetime import UTC, datetime

from organise.organisers import resets
from organise.surveys import team
from organise.surveys.models import Survey, SurveyMember
from tests.support import make_organiser
from tests.surveys.conftest import make_survey


async def test_the_definition_names_the_co_organisers(app, client):
    await make_organiser("lou")
    survey = await make_survey(app, owner="kim", team=["lou", "kim"])
    assert await team.member_names(survey) == ["lou"]
    assert len(await team.recipient_keys(survey.id)) == 2


async def test_a_reset_takes_the_account_off_every_survey_team(app, client):
    lou = await make_organiser("lou")
    owned = await make_survey(app, owner="kim", team=["lou"])
    joined = await make_survey(app, owner="lou", slug="other", team=["kim"])
    kim = await make_organiser("kim")
    await resets.leave_everything(kim, now=datetime.now(UTC))
    assert (await Survey.get(id=owned.id)).owner_id is None  # type: ignore[attr-defined]
    assert not await SurveyMember.filter(organiser_id=kim.id).exists()
    assert not await team.is_on_team(await Survey.get(id=joined.id), kim)
    # Lou still receives the texts of the survey kim owned.
    assert await team.recipient_keys(owned.id) == [bytes(lou.public_key)]
