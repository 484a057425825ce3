"""What surveys put on the account page's list: to their team alone, and never a count.

An organiser of a rival survey, an admin off the team and a reviewer see nothing of a survey;
an answer arriving changes nothing on the list (it would time a single respondent).
"""

from __future__ import annotations

from organise.roles import Role
from organise.surveys import release
from tests.support import attention_section, browser, kinds_of, make_organiser, sign_in
from tests.surveys.conftest import answered, in_days, make_survey


async def _section(app, username: str) -> str:
    async with browser(app) as other:
        assert (await sign_in(other, username)).status_code == 303
        return attention_section((await other.get("/organisers/")).text)


async def test_a_survey_closing_soon_is_listed_for_its_team_alone(app, client):
    await make_organiser("sam")
    survey = await make_survey(app, team=["sam"], closes_at=in_days(3).strftime("%Y-%m-%dT%H:%MZ"))
    await make_survey(
        app,
        owner="zed",
        slug="rival",
        title="Rival survey",
        closes_at=in_days(2).strftime("%Y-%m-%dT%H:%MZ"),
    )
    await make_organiser("ada", Role.ADMIN)
    await make_organiser("rev", Role.REVIEWER)
    assert await kinds_of(app, "alex") == ["surveys.closing"]
    assert await kinds_of(app, "sam") == ["surveys.closing"]
    assert await kinds_of(app, "zed") == ["surveys.closing"]  # their own survey, not ours
    assert "The cloud contract" not in await _section(app, "zed")
    assert await kinds_of(app, "ada") == []
    assert await kinds_of(app, "rev") == []

    before = await _section(app, "alex")
    await answered(app, client, survey, {"unit": "Infra", "ready": 4})
    assert await _section(app, "alex") == before

    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    assert await kinds_of(app, "alex") == ["surveys.released"]
    assert await kinds_of(app, "sam") == ["surveys.released"]
    assert await kinds_of(app, "ada") == []


async def test_a_survey_closing_later_than_a_week_is_not_listed(app, client):
    await make_survey(app, closes_at=in_days(10).strftime("%Y-%m-%dT%H:%MZ"))
    assert await kinds_of(app, "alex") == []
