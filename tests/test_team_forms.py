"""The owner's team forms, the same on a campaign's page and on a survey's page: add a
co-organiser by account name, remove one of those on the team; a co-organiser gets neither."""

from __future__ import annotations

import pytest

from tests.campaigns.conftest import make_campaign
from tests.support import browser, make_organiser, post_form, sign_in, signed_in_organiser
from tests.surveys.conftest import make_survey


async def _campaign(app) -> str:
    await make_campaign(app, owner="alex")
    return "/organisers/campaigns/walkout"


async def _survey(app) -> str:
    await make_survey(app, owner="alex")
    return "/organisers/surveys/cloud-2027"


@pytest.mark.parametrize("make", [_campaign, _survey])
async def test_the_owner_page_offers_adding_and_removing_and_a_member_page_neither(
    app, client, make
):
    page = await make(app)
    await make_organiser("lou")
    await signed_in_organiser(client, "alex")
    alone = (await client.get(page)).text
    assert f'action="{page}/team/add"' in alone
    assert 'id="add-username" name="username"' in alone
    assert "team/remove" not in alone  # nobody to remove yet

    assert (await post_form(client, f"{page}/team/add", {"username": "lou"})).status_code == 303
    shown = (await client.get(page)).text
    assert f'action="{page}/team/remove"' in shown
    assert '<option value="lou">lou</option>' in shown
    assert '<option value="alex">' not in shown  # the owner is not removable

    async with browser(app) as lou:
        await sign_in(lou, "lou")
        member = (await lou.get(page)).text
    assert "team/add" not in member
    assert "team/remove" not in member
