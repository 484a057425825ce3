"""Gatekeepers are never told "the gate is opening" while the reveal waits for the team.

A campaign whose team has nobody who can receive the pledges does not reveal, whatever the
gatekeepers do (`team.reveal_hold`); nor does one whose new owner's notice period is running.
Every page a gatekeeper sees (the gate page, a gatekeeper account's shares page, a one-time
link) and the command line say that the reveal waits for the organisers' team instead.
"""

from __future__ import annotations

import html
import re
from datetime import timedelta

from crypto.gate import GatePolicy
from organise.campaigns import team
from organise.campaigns.models import CampaignState
from organise.campaigns.setup import ShareDelivery
from organise.i18n.formats import moment
from organise.organisers.models import Organiser
from organise.roles import Role
from tests.campaigns.conftest import (
    account_gatekept_campaign,
    make_campaign,
    post_release,
    refreshed,
    shares_page,
    tick,
    to_the_gate,
)
from tests.servers import command_line_on
from tests.support import make_organiser, post_form

WAITS = "The reveal waits for the organisers' team: nobody on it can receive the pledges now"
OPENING = "The gate is opening"


async def _without_a_team() -> None:
    # The only team member can no longer receive pledges.
    await Organiser.filter(username="alex").update(enrolled=False)


async def _hand_in(client, words: str):
    return await post_form(client, "/campaigns/walkout/gate", {"share": words})


async def test_the_gate_page_says_the_reveal_waits_for_the_team(app, client):
    created = await make_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))
    campaign = created.campaign
    await to_the_gate(app, client, campaign)
    form = await client.get("/campaigns/walkout/gate")
    assert "waits for the organisers' team" not in html.unescape(
        form.text
    )  # the team can receive it

    await _without_a_team()
    form = await client.get("/campaigns/walkout/gate")
    assert WAITS in html.unescape(form.text)
    first = await _hand_in(client, created.gatekeeper_shares[0])
    assert "1 more gatekeeper shares are needed" in html.unescape(first.text)
    assert WAITS in html.unescape(first.text)
    last = await _hand_in(client, created.gatekeeper_shares[1])
    assert last.status_code == 200
    assert "enough shares are in, but nothing is revealed yet" in html.unescape(last.text)
    assert WAITS in html.unescape(last.text)
    assert html.unescape(last.text).count(WAITS) == 1
    assert OPENING not in html.unescape(last.text)
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE

    # An administrator assigns an owner: the page gives the hour before which nothing happens.
    await make_organiser("kim", Role.ORGANISER)
    owned = await team.assign_owner(await refreshed(campaign), "kim")
    assert owned.reveal_not_before is not None
    form = await client.get("/campaigns/walkout/gate")
    when = moment(owned.reveal_not_before)  # "2 Mar 2026, 18:00 UTC", in the page's language
    assert f"nothing is revealed before {when}" in html.unescape(form.text)
    assert OPENING not in html.unescape(form.text)
    # Then the ticker reveals with the shares already handed in.
    later = owned.reveal_not_before + timedelta(seconds=1)
    assert (await tick(app, now=later)).revealed == 1


async def test_the_command_line_says_the_reveal_waits_for_the_team(app, client, settings):
    created = await make_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))
    await to_the_gate(app, client, created.campaign)
    await _without_a_team()
    command = command_line_on(settings)
    for words in created.gatekeeper_shares[:2]:
        handed = command.run_cli("campaign", "share", "walkout", input_text=words)
        assert handed.returncode == 0, handed.stderr
    assert "enough shares are in, but nothing is revealed yet" in handed.stdout
    assert WAITS in handed.stdout
    assert OPENING not in handed.stdout
    assert (await refreshed(created.campaign)).state == CampaignState.AWAITING_GATE


async def test_a_gatekeeper_accounts_page_says_the_reveal_waits_for_the_team(app, client):
    campaign = await account_gatekept_campaign(app)
    await to_the_gate(app, client, campaign)
    await _without_a_team()
    for name in ("ana", "bo"):
        page = await shares_page(client, name)
        assert "asks for your share" in html.unescape(page.text)
        assert WAITS in html.unescape(page.text)
        held_id = re.search(r"/organisers/shares/([0-9a-f-]+)/release", page.text).group(1)
        released = await post_release(client, held_id)
        assert released.status_code == 200
    assert "enough shares are in, but nothing is revealed yet" in html.unescape(released.text)
    assert WAITS in html.unescape(released.text)
    assert OPENING not in html.unescape(released.text)
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE


async def test_a_share_link_says_the_reveal_waits_for_the_team(app, client):
    created = await make_campaign(
        app, gate=GatePolicy("server_and_gatekeepers", 3, 2), delivery=ShareDelivery(links=True)
    )
    link = f"/shares/{created.share_links[0]}"
    assert WAITS not in html.unescape((await client.get(link)).text)
    await _without_a_team()
    confirm = await client.get(link)
    assert WAITS in html.unescape(confirm.text)
    shown = await post_form(client, link)
    assert shown.status_code == 200
    assert WAITS in html.unescape(shown.text)
    assert re.findall(r"<li>([a-z]+)</li>", html.unescape(shown.text))  # the share is still shown
