"""A survey's team: who is on it, and a passphrase reset taking an account off it."""

from __future__ import annotations

from datetime import UTC, datetime

from organise.organisers import resets
from organise.organisers.models import AuditAction, AuditEntry
from organise.roles import Role
from organise.surveys import team
from organise.surveys.models import Survey, SurveyMember
from tests.support import browser, make_organiser, post_form, sign_in, signed_in_organiser
from tests.surveys.conftest import in_days, make_survey


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
    for name, reason in (
        ("nobody", "There is no account nobody"),
        ("gate", "cannot be on the team of a campaign or a survey"),
    ):
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


async def test_an_admin_assigns_an_owner_to_a_survey_a_reset_left_without_one(app, client):
    lou = await make_organiser("lou")
    survey = await make_survey(app, owner="kim", team=["lou"])
    other = await make_survey(app, owner="alex", slug="other")
    kim = await make_organiser("kim")
    await resets.leave_everything(kim, now=datetime.now(UTC))
    left = await AuditEntry.get(subject="kim", action=AuditAction.LEFT_TEAM_BY_RESET)
    assert left.detail == "survey cloud-2027 (owner)"
    await make_organiser("zed")
    await make_organiser("ada", Role.ADMIN)
    form = {"slug": "cloud-2027", "username": "lou"}

    # An organiser off the team and a co-organiser on it: neither sees the list nor assigns.
    for name in ("zed", "lou"):
        async with browser(app) as other_browser:
            await sign_in(other_browser, name)
            listing = await other_browser.get("/organisers/surveys/")
            assert "Surveys waiting for an owner" not in listing.text
            refused = await post_form(other_browser, "/organisers/surveys/owners", form)
            assert refused.status_code == 403
    assert (await Survey.get(id=survey.id)).owner_id is None  # type: ignore[attr-defined]

    await sign_in(client, "ada")
    listing = await client.get("/organisers/surveys/")
    assert "Surveys waiting for an owner" in listing.text
    assert "The cloud contract (cloud-2027)" in listing.text
    assert "(other)" not in listing.text  # its owner can still receive
    # The admin is not on the team: the survey's pages stay closed to it.
    assert (await client.get("/organisers/surveys/cloud-2027")).status_code == 404
    unknown = await post_form(client, "/organisers/surveys/owners", form | {"username": "nobody"})
    assert unknown.status_code == 422
    assert "There is no account nobody" in unknown.text
    missing = await post_form(client, "/organisers/surveys/owners", form | {"slug": "nope"})
    assert missing.status_code == 404

    # The administrator stays off the team: naming its own account is refused.
    itself = await post_form(client, "/organisers/surveys/owners", form | {"username": "ada"})
    assert itself.status_code == 403
    assert "cannot make themselves" in itself.text
    assert (await Survey.get(id=survey.id)).owner_id is None  # type: ignore[attr-defined]
    # Respondents are not yet told anything: nothing happened.
    assert "new owner" not in (await client.get("/surveys/cloud-2027", follow_redirects=True)).text

    assigned = await post_form(client, "/organisers/surveys/owners", form)
    assert assigned.status_code == 200, assigned.text
    # From now on the survey's page tells respondents, who may still withdraw before the close.
    public = await client.get("/surveys/cloud-2027", follow_redirects=True)
    assert "An administrator gave this survey a new owner in the week of" in public.text
    assert "lou now owns the survey The cloud contract" in assigned.text
    assert "Surveys waiting for an owner" not in assigned.text
    owned = await Survey.get(id=survey.id)
    assert owned.owner_id == lou.id  # type: ignore[attr-defined]
    assert await team.member_names(owned) == []  # the owner, no longer also a co-organiser
    entry = await AuditEntry.get(action=AuditAction.OWNER_ASSIGNED)
    assert (entry.actor, entry.subject, entry.detail) == ("ada", "lou", "survey cloud-2027")
    assert "owner assigned" in (await client.get("/organisers/people/")).text

    # Once owned by someone who can receive, the owner decides: no second assignment.
    again = await post_form(client, "/organisers/surveys/owners", form | {"username": "zed"})
    assert again.status_code == 409
    assert "its owner changes the team" in again.text
    assert (await Survey.get(id=survey.id)).owner_id == lou.id  # type: ignore[attr-defined]
    assert (await Survey.get(id=other.id)).owner_id is not None  # type: ignore[attr-defined]

    async with browser(app) as lou_browser:
        await sign_in(lou_browser, "lou")
        page = "/organisers/surveys/cloud-2027"
        assert (await lou_browser.get(page)).status_code == 200
        added = await post_form(lou_browser, f"{page}/team/add", {"username": "zed"})
        assert added.status_code == 303
    assert await team.member_names(owned) == ["zed"]


async def test_no_new_owner_in_the_last_day_before_the_close(app, client):
    """Respondents must have a day to see the notice: closer to the close, the assignment is
    refused and, with nobody to receive them, the text answers are destroyed unread."""
    closes = in_days(0.5).strftime("%Y-%m-%dT%H:%M:%SZ")
    survey = await make_survey(app, owner="kim", closes_at=closes)
    kim = await make_organiser("kim")
    await resets.leave_everything(kim, now=datetime.now(UTC))
    await make_organiser("lou")
    await make_organiser("ada", Role.ADMIN)
    await sign_in(client, "ada")
    refused = await post_form(
        client, "/organisers/surveys/owners", {"slug": survey.slug, "username": "lou"}
    )
    assert refused.status_code == 409
    assert "closes in less than a day" in refused.text
    unchanged = await Survey.get(id=survey.id)
    assert unchanged.owner_id is None  # type: ignore[attr-defined]
    assert unchanged.owner_assigned_week is None
