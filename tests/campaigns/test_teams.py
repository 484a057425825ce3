"""Campaign teams: only the team sees a campaign or reads its reveal; admins get nothing.

Written as the attacks they stop: an admin (or any organiser) outside the team trying every
organiser route of a campaign, a removed co-organiser waiting for the reveal, and a campaign whose
team can no longer receive anything being handed to someone new without the signers knowing.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from starlette.routing import BaseRoute, Mount, Route

from crypto.errors import EnvelopeError
from crypto.gate import GatePolicy
from crypto.keywrap import unwrap_private_key
from organise import app as app_module
from organise.campaigns import release, team
from organise.campaigns.models import Campaign, CampaignMember, CampaignState, Pledge
from organise.i18n.formats import day
from organise.organisers.models import AuditAction, AuditEntry, Organiser
from organise.roles import Role
from tests.campaigns.conftest import (
    create_through_form,
    make_campaign,
    pledge_key_names,
    refreshed,
    sign_with_new_codes,
    tick,
)
from tests.conftest import ON_POSTGRES
from tests.support import (
    PASSPHRASE,
    SAME_ORIGIN,
    make_organiser,
    post_form,
    sign_in,
    signed_in_organiser,
)

NOT_FOUND = "There is no campaign at this address."


def _campaign_routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, str]]:
    """(path, method) of every route under /organisers/campaigns/{slug}, from the routing table."""
    found: list[tuple[str, str]] = []
    for route in routes:
        if isinstance(route, Mount):
            found += _campaign_routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            path = prefix + route.path
            if path.startswith("/organisers/campaigns/{slug}"):
                found += [
                    (path, method) for method in sorted(route.methods or ()) if method != "HEAD"
                ]
    return found


async def _open_as(app, campaign: Campaign, organiser: Organiser) -> list[str]:
    key = unwrap_private_key(organiser.wrapped_private_key, PASSPHRASE)
    # The organisers' copy opens only while the campaign's release key is in the keystore.
    release_key = await release.release_key_of(campaign, app.state.runtime.keystore)
    records = await release.open_for_organiser(campaign, key, release_key)
    return [record["name"] for record in records]


async def test_every_campaign_route_answers_404_outside_the_team(app, client):
    routes = _campaign_routes(app_module.routes())
    assert len(routes) >= 6  # detail, invites, pledges, pledges.csv, team add and remove
    await make_campaign(app)
    await make_organiser("sam", Role.ADMIN)  # an admin: manages accounts, not campaigns
    await make_organiser("kim", Role.ORGANISER)  # an organiser of other campaigns
    for outsider in ("sam", "kim"):
        client.cookies.clear()
        await sign_in(client, outsider)
        for path, method in routes:
            for slug in ("walkout", "no-such-campaign"):
                response = await client.request(
                    method,
                    path.replace("{slug}", slug),
                    data={"count": "5", "format": "csv", "username": outsider},
                    headers=SAME_ORIGIN,
                )
                assert response.status_code == 404, (outsider, method, path)
                assert NOT_FOUND in response.text
        listing = await client.get("/organisers/campaigns/")
        assert "walkout" not in listing.text
    # Nothing was minted nor joined by all that.
    assert await Campaign.get(slug="walkout").values_list("id", flat=True)
    assert not await CampaignMember.exists()
    from organise.campaigns.models import InviteCode

    assert not await InviteCode.exists()


async def test_the_owner_runs_the_campaign_and_an_admin_outside_it_reads_nothing(app, client):
    made = (await make_campaign(app)).campaign
    admin = await make_organiser("sam", Role.ADMIN)
    await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    assert (await tick(app)).revealed == 1
    revealed = await refreshed(made)

    # The owner reads it, from the web and with their key.
    await sign_in(client, "alex")
    assert "Rosa" in (await client.get("/organisers/campaigns/walkout/pledges")).text
    assert "walkout" in (await client.get("/organisers/campaigns/")).text
    # The admin, even holding the whole database and their own passphrase, cannot open it.
    with pytest.raises(EnvelopeError):
        await _open_as(app, revealed, admin)


async def test_a_co_organiser_added_by_the_owner_can_and_after_removal_cannot(app, client):
    made = (await make_campaign(app)).campaign
    mate = await make_organiser("kim", Role.ORGANISER)
    await make_organiser("lee", Role.ORGANISER)

    await sign_in(client, "alex")
    added = await post_form(client, "/organisers/campaigns/walkout/team/add", {"username": "kim"})
    assert added.status_code == 303
    assert "kim" in (await client.get("/organisers/campaigns/walkout")).text

    # The co-organiser sees the campaign and mints codes, but does not change the team.
    client.cookies.clear()
    await sign_in(client, "kim")
    assert (await client.get("/organisers/campaigns/walkout")).status_code == 200
    minted = await post_form(
        client, "/organisers/campaigns/walkout/invites", {"count": "2", "format": "csv"}
    )
    assert minted.status_code == 200
    assert minted.text.startswith("invite_code")
    refused = await post_form(client, "/organisers/campaigns/walkout/team/add", {"username": "lee"})
    assert refused.status_code == 403
    assert "can change its team" in refused.text
    assert not await CampaignMember.exists(organiser__username="lee")

    # Removed before the reveal: no page, and the reveal is not sealed to their key.
    client.cookies.clear()
    await sign_in(client, "alex")
    removed = await post_form(
        client, "/organisers/campaigns/walkout/team/remove", {"username": "kim"}
    )
    assert removed.status_code == 303
    await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    assert (await tick(app)).revealed == 1
    client.cookies.clear()
    await sign_in(client, "kim")
    assert (await client.get("/organisers/campaigns/walkout/pledges")).status_code == 404
    with pytest.raises(EnvelopeError):
        await _open_as(app, await refreshed(made), mate)
    owner = await Organiser.get(username="alex")
    assert sorted(await _open_as(app, await refreshed(made), owner)) == ["Emma", "Lucy", "Rosa"]


async def test_a_member_on_the_team_at_the_reveal_can_open_it(app, client):
    made = (await make_campaign(app)).campaign
    mate = await make_organiser("kim", Role.ORGANISER)
    await team.add_member(made, "kim", acting=None)
    await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    assert (await tick(app)).revealed == 1
    assert sorted(await _open_as(app, await refreshed(made), mate)) == ["Emma", "Lucy", "Rosa"]


async def test_the_web_form_makes_the_signed_in_organiser_the_owner(app, client):
    await signed_in_organiser(client, "kim")
    response = await create_through_form(client, slug="kims")
    assert response.status_code == 303, response.text
    created = await Campaign.get(slug="kims")
    assert created.owner_id == (await Organiser.get(username="kim")).id  # type: ignore[attr-defined]


async def test_team_members_must_hold_their_own_key(app, client):
    made = (await make_campaign(app)).campaign
    await make_organiser("old", Role.ORGANISER)
    await make_organiser("robin", Role.REVIEWER)
    await Organiser.filter(username="old").update(enrolled=False)
    with pytest.raises(Exception, match="has not set up its own key"):
        await team.add_member(made, "old", acting=None)
    with pytest.raises(Exception, match="not an organiser or admin"):
        await team.add_member(made, "robin", acting=None)
    with pytest.raises(Exception, match="There is no account ghost"):
        await team.add_member(made, "ghost", acting=None)
    assert not await CampaignMember.exists()


async def test_a_team_with_nobody_enabled_waits_loses_nothing_and_an_admin_assigns_an_owner(
    app, client
):
    made = (await make_campaign(app, cooling_off_hours=30)).campaign
    await make_organiser("sam", Role.ADMIN)
    await make_organiser("kim", Role.ORGANISER)
    receipts = [
        a["receipt"] for a in await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    ]
    # The only team member can no longer receive pledges (not enrolled; later: disabled).
    await Organiser.filter(username="alex").update(enrolled=False)

    later = datetime.now(UTC) + timedelta(hours=31)
    report = await tick(app, now=later)
    assert report.revealed == 0
    waiting = await refreshed(made)
    assert waiting.state == CampaignState.COOLING_OFF
    assert waiting.released_to_organisers is None
    # Nothing lost: every pledge still sealed, every key present.
    assert await Pledge.filter(campaign_id=made.id, envelope__isnull=False).count() == 3
    assert len(pledge_key_names(app, made)) == 3

    # Listed for administrators (titles and numbers, never the pages), not for others.
    await sign_in(client, "kim")
    assert "waiting for an owner" not in (await client.get("/organisers/campaigns/")).text
    client.cookies.clear()
    await sign_in(client, "sam")
    listing = await client.get("/organisers/campaigns/")
    assert "Campaigns waiting for an owner" in listing.text
    assert "Walk out of Project Lantern" in listing.text
    assert (await client.get("/organisers/campaigns/walkout")).status_code == 404

    # The owner's team cannot bring someone in unannounced either.
    with pytest.raises(Exception, match="An administrator assigns a new owner"):
        await team.add_member(made, "kim", acting=None)

    assigned_at = datetime.now(UTC)
    response = await post_form(
        client, "/organisers/campaigns/owners", {"slug": "walkout", "username": "kim"}
    )
    assert response.status_code == 200
    assert "kim now owns" in response.text
    owned = await refreshed(made)
    assert owned.owner_id == (await Organiser.get(username="kim")).id  # type: ignore[attr-defined]
    assert owned.owner_assigned_week is not None
    entry = await AuditEntry.get(action=AuditAction.OWNER_ASSIGNED)
    assert (entry.actor, entry.subject, entry.detail) == ("sam", "kim", "campaign walkout")
    not_before = owned.reveal_not_before
    assert not_before is not None
    assert (not_before.minute, not_before.second, not_before.microsecond) == (0, 0, 0)
    assert not_before >= assigned_at + timedelta(hours=30)

    # Every signer is told: the public page and each status page.
    client.cookies.clear()
    public = await client.get("/campaigns/walkout")
    assert "An administrator assigned a new owner" in public.text
    assert day(owned.owner_assigned_week) in public.text  # "30 November 2026"
    status = await post_form(client, "/pledges/status", {"receipt": receipts[0]})
    assert "An administrator assigned a new owner" in status.text
    api_status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[1]})
    assert api_status.json()["owner_assigned_week"] == owned.owner_assigned_week.isoformat()
    api_campaign = (await client.get("/api/v1/campaigns/walkout")).json()
    assert api_campaign["owner_assigned_week"] == owned.owner_assigned_week.isoformat()

    # The reveal waits one full cooling-off period after the assignment, then happens.
    assert (await tick(app, now=not_before - timedelta(minutes=1))).revealed == 0
    assert (await refreshed(made)).state == CampaignState.COOLING_OFF
    assert (await tick(app, now=not_before + timedelta(seconds=1))).revealed == 1
    kim = await Organiser.get(username="kim")
    assert sorted(await _open_as(app, await refreshed(made), kim)) == ["Emma", "Lucy", "Rosa"]


async def test_an_owner_is_assigned_only_to_a_team_that_cannot_receive(app, client):
    made = (await make_campaign(app)).campaign
    await make_organiser("sam", Role.ADMIN)
    await make_organiser("kim", Role.ORGANISER)
    await sign_in(client, "sam")
    response = await post_form(
        client, "/organisers/campaigns/owners", {"slug": "walkout", "username": "kim"}
    )
    assert response.status_code == 409
    assert "its owner changes the team" in response.text
    assert (await refreshed(made)).owner_assigned_week is None
    # Only administrators assign owners.
    client.cookies.clear()
    await sign_in(client, "kim")
    response = await post_form(
        client, "/organisers/campaigns/owners", {"slug": "walkout", "username": "kim"}
    )
    assert response.status_code == 403


async def test_a_campaign_from_before_owners_waits_and_is_listed(app, client):
    made = (await make_campaign(app)).campaign
    await Campaign.filter(id=made.id).update(owner_id=None)  # as the migration leaves it
    await make_organiser("sam", Role.ADMIN)
    await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    assert (await tick(app)).revealed == 0
    assert [c.slug for c in await team.waiting_for_owner()] == ["walkout"]
    await sign_in(client, "sam")
    listing = await client.get("/organisers/campaigns/")
    assert "created before campaigns had owners" in listing.text


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="races only mean something on PostgreSQL")
async def test_an_assignment_racing_the_ticker_never_reveals_unannounced(app, client):
    """Ticks and assignments at once: the new owner never gets a reveal before the notice."""
    await make_organiser("kim", Role.ORGANISER)
    made = []
    for number in range(6):
        campaign = (await make_campaign(app, slug=f"race-{number}", threshold=2)).campaign
        await sign_with_new_codes(app, client, campaign, ("Rosa", "Emma"))
        made.append(campaign)
    # Cooling-off (zero hours) is over, but nobody on the team can receive the reveal.
    await Organiser.filter(username="alex").update(enrolled=False)
    now = datetime.now(UTC) + timedelta(seconds=1)
    outcomes = await asyncio.gather(
        *(team.assign_owner(campaign, "kim", now=now) for campaign in made),
        *(tick(app, now=now) for _ in range(4)),
        return_exceptions=True,
    )
    assert not [o for o in outcomes if isinstance(o, BaseException)], outcomes
    for campaign in made:
        after = await refreshed(campaign)
        assert after.state == CampaignState.COOLING_OFF
        assert after.released_to_organisers is None
        assert after.reveal_not_before is not None
        assert after.reveal_not_before > now
    assert (await tick(app, now=now + timedelta(hours=25))).revealed == len(made)


async def test_a_gated_campaign_with_nobody_to_seal_to_waits_after_the_gatekeepers(app, client):
    created = await make_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))
    made = created.campaign
    await make_organiser("kim", Role.ORGANISER)
    await sign_with_new_codes(app, client, made, ("Rosa", "Emma", "Lucy"))
    await tick(app)
    assert (await refreshed(made)).state == CampaignState.AWAITING_GATE
    await Organiser.filter(username="alex").update(enrolled=False)
    for words in created.gatekeeper_shares[:2]:
        response = await post_form(client, "/campaigns/walkout/gate", {"share": words})
        assert response.status_code == 200
    await tick(app)
    waiting = await refreshed(made)
    assert waiting.state == CampaignState.AWAITING_GATE
    assert waiting.released_to_organisers is None
    assert len(pledge_key_names(app, made)) == 3

    owned = await team.assign_owner(waiting, "kim")
    assert owned.reveal_not_before is not None
    assert (await tick(app, now=owned.reveal_not_before - timedelta(minutes=1))).revealed == 0
    assert (await tick(app, now=owned.reveal_not_before + timedelta(seconds=1))).revealed == 1
    kim = await Organiser.get(username="kim")
    assert sorted(await _open_as(app, await refreshed(made), kim)) == ["Emma", "Lucy", "Rosa"]
