"""What campaigns put on the account page's list: to whom, until when, and never more than the
campaign's own page says.

An organiser of another campaign (the insider who runs a rival campaign at the same employer),
an admin off the team, a reviewer and a gatekeeper not asked must see nothing of a campaign; and
the list must not let the team time a single pledge more finely than the campaign page does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from crypto.gate import GatePolicy
from organise.campaigns import deadlines, operations, team
from organise.campaigns.models import Campaign, CampaignState, HeldShare, ProgressDisplay
from organise.organisers import people
from organise.roles import Role
from tests.campaigns.conftest import (
    account_gatekept_campaign,
    in_days,
    make_campaign,
    post_release,
    refreshed,
    sign_with_new_codes,
    tick,
    to_the_gate,
)
from tests.support import (
    GATEKEEPER_PASSPHRASE,
    attention_of,
    attention_section,
    browser,
    campaign_owner,
    kinds_of,
    make_organiser,
    sign_in,
)

DETAIL = "/organisers/campaigns/walkout"


async def _team_and_outsiders(app) -> Campaign:
    """walkout (owner alex, co-organiser lou); zed runs another campaign; ada is an admin off
    walkout's team; rev is a reviewer."""
    campaign = (await make_campaign(app, cooling_off_hours=48)).campaign
    await make_organiser("lou")
    await team.add_member(campaign, "lou", acting=None)
    await make_campaign(app, owner="zed", slug="rival", title="Rival campaign")
    await make_organiser("ada", Role.ADMIN)
    await make_organiser("rev", Role.REVIEWER)
    return campaign


async def test_crossing_the_threshold_is_listed_for_its_team_alone_until_the_reveal(app, client):
    campaign = await _team_and_outsiders(app)
    assert await kinds_of(app, "alex") == []
    await sign_with_new_codes(app, client, campaign, 3)
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF

    for member in ("alex", "lou"):
        [line] = await attention_of(app, member)
        assert line.kind == "campaigns.cooling_off"
        assert "Walk out of Project Lantern reached its threshold" in line.text
        assert line.href == DETAIL
    for outsider in ("zed", "ada", "rev"):
        assert await kinds_of(app, outsider) == [], outsider

    # The cooling-off ends; the server alone holds the gate, so the reveal follows: done.
    ends = (await refreshed(campaign)).cooling_off_ends_at
    assert (await tick(app, now=ends + timedelta(minutes=1))).revealed == 1
    assert await kinds_of(app, "alex") == []
    assert await kinds_of(app, "lou") == []


async def test_the_list_times_no_pledge_more_finely_than_the_campaign_page(app, client):
    """Each signature or withdrawal below the threshold leaves the list exactly as it was (it
    holds no count, and no line about pledges); at the crossing it says what the campaign page
    says, to the same hour, and nothing the rounded progress hides."""
    campaign = (
        await make_campaign(
            app, threshold=5, cooling_off_hours=48, progress_display=ProgressDisplay.ROUNDED
        )
    ).campaign
    await campaign_owner("alex")

    async def list_html() -> str:
        return attention_section((await organiser.get("/organisers/")).text)

    async with browser(app) as organiser:
        assert (await sign_in(organiser, "alex")).status_code == 303
        before = await list_html()
        signed = await sign_with_new_codes(app, client, campaign, 4)
        assert await list_html() == before
        withdrawn = await client.post(
            "/api/v1/pledges/withdraw", json={"receipt": signed[0]["receipt"]}
        )
        assert withdrawn.status_code == 200
        assert await list_html() == before
        await sign_with_new_codes(app, client, campaign, ["Fifth", "Sixth"])
        assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
        crossed = await list_html()
        detail = (await organiser.get(DETAIL)).text

    [line] = re.findall(r"<li data-kind=\"campaigns.cooling_off\">(.*?)<a ", crossed, re.S)
    # The hour the cooling-off ends, as the campaign page gives it, and no finer time.
    [hour] = re.findall(r"\d{4}-\d\d-\d\d \d\d:00 UTC", line)
    assert f"ends by {hour}" in detail
    assert not re.search(r"\d\d:\d\d UTC", line.replace(hour, ""))
    # No count: neither the exact number of pledges nor the threshold's.
    assert not re.search(r"\b[0-9]\b", line.replace(hour, ""))


async def test_a_deadline_within_a_week_is_listed_until_it_moves_or_the_campaign_ends(app, client):
    campaign = await _team_and_outsiders(app)
    await Campaign.filter(id=campaign.id).update(deadline=in_days(3))
    for member in ("alex", "lou"):
        [line] = await attention_of(app, member)
        assert line.kind == "campaigns.deadline"
        assert line.href == DETAIL
        assert (await refreshed(campaign)).deadline.strftime("%Y-%m-%d %H:%M UTC") in line.text
    for outsider in ("zed", "ada", "rev"):
        assert await kinds_of(app, outsider) == [], outsider

    alex = await campaign_owner("alex")
    await deadlines.extend_deadline(await refreshed(campaign), in_days(20), acting=alex)
    assert await kinds_of(app, "alex") == []

    await Campaign.filter(id=campaign.id).update(deadline=in_days(2))
    assert await kinds_of(app, "lou") == ["campaigns.deadline"]
    await operations.stop(
        await refreshed(campaign), acting=alex, keystore=app.state.runtime.keystore
    )
    assert await kinds_of(app, "lou") == []


async def test_a_campaign_with_nobody_to_reveal_to_is_listed_for_admins_by_name_only(app, client):
    campaign = (await make_campaign(app, owner="kim")).campaign
    await make_organiser("ada", Role.ADMIN)
    await make_campaign(app, owner="zed", slug="rival", title="Rival campaign")
    await make_organiser("kim", Role.REVIEWER)  # kim can no longer be on a team
    assert await team.needs_an_owner(await refreshed(campaign))

    [line] = await attention_of(app, "ada")
    assert line.kind == "campaigns.needs_owner"
    assert "(walkout) waits for an owner" in line.text
    # To the campaigns page, where the owner is assigned: never to the campaign's own page.
    assert line.href == "/organisers/campaigns/#waiting"
    assert await kinds_of(app, "zed") == []

    await make_organiser("lou")
    await team.assign_owner(await refreshed(campaign), "lou")
    assert await kinds_of(app, "ada") == []

    # An owner removed: its co-organisers still receive the reveal, but nobody can change the
    # team any more, and the line says so.
    await make_organiser("mo")
    await team.add_member(await refreshed(campaign), "mo", acting=None)
    await people.remove(None, "lou", now=datetime.now(UTC))
    [line] = await attention_of(app, "ada")
    assert "(walkout) has no owner: nobody can change its team" in line.text


async def test_a_share_request_goes_to_each_gatekeeper_asked_until_they_hand_it_in(app, client):
    campaign = await account_gatekept_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))
    await make_campaign(app, owner="zed", slug="rival", title="Rival campaign")
    assert await kinds_of(app, "ana", GATEKEEPER_PASSPHRASE) == []  # nothing asked yet
    await to_the_gate(app, client, campaign)

    for gatekeeper in ("ana", "bo", "cy"):
        [line] = await attention_of(app, gatekeeper, GATEKEEPER_PASSPHRASE)
        assert line.kind == "campaigns.share_asked"
        assert line.href == "/organisers/shares/"
    # The team sees its campaign wait for the gate, not anyone's share; others see nothing.
    assert await kinds_of(app, "alex") == ["campaigns.awaiting_gate"]
    assert await kinds_of(app, "zed") == []

    async def release(gatekeeper: str) -> None:
        async with browser(app) as other:
            signed = await sign_in(other, gatekeeper, GATEKEEPER_PASSPHRASE)
            assert signed.status_code == 303
            held = await HeldShare.get(campaign_id=campaign.id, organiser__username=gatekeeper)
            assert (await post_release(other, str(held.id))).status_code == 200

    await release("ana")
    assert await kinds_of(app, "ana", GATEKEEPER_PASSPHRASE) == []
    assert await kinds_of(app, "bo", GATEKEEPER_PASSPHRASE) == ["campaigns.share_asked"]

    # Nobody on the team can receive the pledges for now: the gatekeepers are not told the gate
    # is opening, as their shares page does not tell them either.
    await make_organiser("alex", Role.REVIEWER)
    [line] = await attention_of(app, "bo", GATEKEEPER_PASSPHRASE)
    assert "reveal waits for its organisers' team" in line.text
    assert "asks for your share" not in line.text
    await make_organiser("alex", Role.ORGANISER)

    # The second share opens the gate: revealed, nothing waits for anyone any more.
    await release("bo")
    await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    assert await kinds_of(app, "cy", GATEKEEPER_PASSPHRASE) == []
    assert await kinds_of(app, "alex") == []


async def test_revealed_lists_about_to_be_destroyed_are_listed_for_the_team(app, client):
    campaign = await _team_and_outsiders(app)
    await sign_with_new_codes(app, client, campaign, 3)
    ends = (await refreshed(campaign)).cooling_off_ends_at
    assert (await tick(app, now=ends + timedelta(minutes=1))).revealed == 1
    assert await kinds_of(app, "alex") == []  # 30 days to go
    # Five days before the lists are destroyed.
    revealed_at = datetime.now(UTC) - timedelta(days=25)
    await Campaign.filter(id=campaign.id).update(revealed_at=revealed_at)
    [line] = await attention_of(app, "lou")
    assert line.kind == "campaigns.retention"
    assert line.href == f"{DETAIL}/pledges"
    assert (revealed_at + timedelta(days=30)).strftime("%Y-%m-%d") in line.text
    assert await kinds_of(app, "zed") == []
    assert await kinds_of(app, "ada") == []
    # Archived by its team: off the lists, this one included.
    alex = await campaign_owner("alex")
    await operations.archive(await refreshed(campaign), acting=alex)
    assert await kinds_of(app, "lou") == []
