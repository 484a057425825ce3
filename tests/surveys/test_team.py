"""A survey's team: who is on it, and a passphrase reset taking an account off it."""

from __future__ import annotations

from datetime import UTC, datetime

from organise.organisers import resets
from organise.roles import Role
from organise.surveys import team
from organise.surveys.models import Survey, SurveyMember
from tests.support import browser, make_organiser, post_form, sign_in, signed_in_organiser
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


async def test_the_owner_adds_and_removes_co_organisers_and_nobody_else_can(app, client):
    survey = await make_survey(app, owner="alex")
    await make_organiser("lou")
    await make_organiser("zed")
    await make_organiser("gate", Role.GATEKEEPER)
    page = "/organisers/surveys/cloud-2027"

    async with browser(app) as lou:
        await sign_in(lou, "lou")
        assert (await lou.get(page)).status_code == 404  # off the team: no such survey
        refused = await post_form(lou, f"{page}/team/add", {"username": "lou"})
        assert refused.status_code == 404
    assert await team.member_names(survey) == []

    await signed_in_organiser(client, "alex")
    added = await post_form(client, f"{page}/team/add", {"username": "lou"})
    assert added.status_code == 303
    assert await team.member_names(survey) == ["lou"]
    for name, reason in (("nobody", "There is no account nobody"), ("gate", "cannot run")):
        wrong = await post_form(client, f"{page}/team/add", {"username": name})
        assert wrong.status_code == 422, wrong.text
        assert reason in wrong.text
    assert await team.member_names(survey) == ["lou"]

    async with browser(app) as lou:
        await sign_in(lou, "lou")
        assert (await lou.get(page)).status_code == 200
        # A co-organiser is not the owner: the team is the owner's to change.
        not_owner = await post_form(lou, f"{page}/team/add", {"username": "zed"})
        assert not_owner.status_code == 403
        assert "can change its team" in not_owner.text
    assert await team.member_names(survey) == ["lou"]

    removed = await post_form(client, f"{page}/team/remove", {"username": "lou"})
    assert removed.status_code == 303
    assert await team.member_names(survey) == []
    owner = await post_form(client, f"{page}/team/remove", {"username": "alex"})
    assert owner.status_code == 409
    async with browser(app) as lou:
        await sign_in(lou, "lou")
        assert (await lou.get(page)).status_code == 404
