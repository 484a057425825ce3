"""Threshold, cooling-off, reveal, personal thresholds and withdrawal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from crypto.envelope import envelope_length
from organise.campaigns import reveal as reveal_module
from organise.campaigns import shredding
from organise.campaigns.models import (
    Audience,
    CampaignState,
    EventKind,
    InviteCode,
    LifecycleEvent,
    Pledge,
    ReleasedChunk,
)
from organise.roles import Role
from tests.campaigns.conftest import (
    in_days,
    make_campaign,
    make_codes,
    pledge_key_names,
    refreshed,
    sign,
    sign_with_new_codes,
    tick,
)
from tests.support import make_organiser, sign_in


async def _events(campaign, kind):
    return await LifecycleEvent.filter(campaign_id=campaign.id, kind=kind).count()


async def _status(client, receipt):
    return await client.post("/api/v1/pledges/status", json={"receipt": receipt})


async def test_threshold_three_nothing_readable_before_everything_after(app, client):
    await make_organiser("alex", Role.ORGANISER)
    campaign = (await make_campaign(app, audience=Audience.COSIGNERS)).campaign
    codes = await make_codes(app, campaign, 4)
    receipts = []
    for code, name in zip(codes[:2], ("Rosa", "Emma"), strict=True):
        receipts.append((await sign(client, "walkout", code, name, contact="@" + name)).json())

    # Two pledges: nothing can be read by anyone.
    await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.OPEN
    status = (await _status(client, receipts[0]["receipt"])).json()
    assert status == {"campaign": "walkout", "state": "open", "pledge": "sealed"}
    await sign_in(client, "alex")
    page = await client.get("/organisers/campaigns/walkout/pledges")
    assert page.status_code == 409
    assert "Rosa" not in page.text
    assert (await client.get("/organisers/campaigns/walkout/pledges.csv")).status_code == 409
    client.cookies.clear()

    # The third pledge reaches the threshold; with no cooling-off, the next tick reveals.
    third = (await sign(client, "walkout", codes[2], "Lucy")).json()
    assert third["state"] == "cooling_off"
    report = await tick(app)
    assert report.revealed == 1
    revealed = await refreshed(campaign)
    assert revealed.state == CampaignState.REVEALED
    assert revealed.revealed_count == 3
    assert await _events(campaign, EventKind.THRESHOLD_REACHED) == 1
    assert await _events(campaign, EventKind.REVEALED) == 1

    # Co-signers see the list with their receipt.
    status = (await _status(client, receipts[1]["receipt"])).json()
    assert status["pledge"] == "revealed"
    assert [person["name"] for person in status["cosigners"]] == ["Emma", "Lucy", "Rosa"]
    assert status["cosigners"][0]["contact"] == "@Emma"

    # Organisers see them too, and nobody can sign any more.
    await sign_in(client, "alex")
    page = await client.get("/organisers/campaigns/walkout/pledges")
    assert page.status_code == 200
    assert all(name in page.text for name in ("Rosa", "Emma", "Lucy"))
    refused = await sign(client, "walkout", codes[3], "Late")
    assert refused.status_code == 409
    # Revealed pledges' keys and the server's share are gone at the reveal: the envelopes left
    # are unreadable, and the next tick empties them.
    assert pledge_key_names(app, campaign) == []
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    await tick(app)
    assert await Pledge.filter(campaign_id=campaign.id, envelope__isnull=False).count() == 0
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 0


async def test_reveal_to_organisers_only_shows_co_signers_nothing(app, client):
    campaign = (await make_campaign(app)).campaign
    codes = await make_codes(app, campaign, 3)
    receipts = [(await sign(client, "walkout", c, f"P{i}")).json() for i, c in enumerate(codes)]
    await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    status = (await _status(client, receipts[0]["receipt"])).json()
    assert status == {"campaign": "walkout", "state": "revealed", "pledge": "revealed"}


async def test_a_withdrawn_pledge_never_appears(app, client):
    await make_organiser("alex", Role.ADMIN)
    campaign = (await make_campaign(app, audience=Audience.COSIGNERS)).campaign
    codes = await make_codes(app, campaign, 4)
    first = (await sign(client, "walkout", codes[0], "Withdrawn Wanda")).json()
    withdrawn = await client.post("/api/v1/pledges/withdraw", json={"receipt": first["receipt"]})
    assert withdrawn.status_code == 200
    assert withdrawn.json() == {"withdrawn": True, "campaign": "walkout", "state": "open"}
    assert pledge_key_names(app, campaign) == []
    assert (await refreshed(campaign)).pledge_count == 0
    others = [
        (await sign(client, "walkout", c, f"Signer {i}")).json() for i, c in enumerate(codes[1:])
    ]
    await tick(app)

    status = (await _status(client, others[0]["receipt"])).json()
    assert "Withdrawn Wanda" not in str(status)
    assert len(status["cosigners"]) == 3
    await sign_in(client, "alex")
    csv = await client.get("/organisers/campaigns/walkout/pledges.csv")
    assert csv.status_code == 200
    assert "Withdrawn Wanda" not in csv.text
    assert csv.text.count("Signer") == 3
    # The receipt of the withdrawn pledge is worth nothing now.
    again = await client.post("/api/v1/pledges/withdraw", json={"receipt": first["receipt"]})
    assert again.status_code == 404
    assert (await _status(client, first["receipt"])).status_code == 404


async def test_cooling_off_then_reveal(app, client):
    campaign = (await make_campaign(app, cooling_off_hours=48)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    cooling = await refreshed(campaign)
    assert cooling.state == CampaignState.COOLING_OFF
    assert cooling.cooling_off_ends_at is not None

    assert (await tick(app)).revealed == 0
    assert (await tick(app, now=in_days(1.9))).revealed == 0
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    assert (await tick(app, now=cooling.cooling_off_ends_at + timedelta(seconds=1))).revealed == 1
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


async def test_withdrawal_during_cooling_off_reopens_the_campaign(app, client):
    campaign = (await make_campaign(app, cooling_off_hours=48)).campaign
    codes = await make_codes(app, campaign, 4)
    receipts = [(await sign(client, "walkout", c, "Someone")).json()["receipt"] for c in codes[:3]]
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF

    response = await client.post("/api/v1/pledges/withdraw", json={"receipt": receipts[0]})

    assert response.json()["state"] == "open"
    reopened = await refreshed(campaign)
    assert reopened.state == CampaignState.OPEN
    assert reopened.pledge_count == 2
    assert reopened.cooling_off_ends_at is None
    assert await _events(campaign, EventKind.THRESHOLD_LOST) == 1
    assert (await tick(app, now=in_days(3))).revealed == 0
    # Reaching it again is a new crossing, recorded once more.
    await sign(client, "walkout", codes[3], "Someone else")
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    assert await _events(campaign, EventKind.THRESHOLD_REACHED) == 2


async def test_personal_thresholds_choose_the_revealed_set(app, client, monkeypatch):
    # The revealed pledges' keys are deleted two ids at a time: every page goes, Carla's stays.
    monkeypatch.setattr(shredding, "_DELETE_CHUNK", 2)
    campaign = (await make_campaign(app, audience=Audience.COSIGNERS)).campaign
    codes = await make_codes(app, campaign, 5)
    plain = [
        (await sign(client, "walkout", c, f"Plain {i}")).json() for i, c in enumerate(codes[:2])
    ]
    cautious = (
        await sign(client, "walkout", codes[2], "Cautious Carla", personal_threshold=10)
    ).json()
    # Three pledges, but one asks for ten: only two would be revealed, so not yet.
    assert cautious["state"] == "open"
    assert (await tick(app)).revealed == 0
    third = (await sign(client, "walkout", codes[3], "Plain 2", personal_threshold=4)).json()
    assert third["state"] == "open"  # {3, 3, 4}: 4 needs four
    fourth = (await sign(client, "walkout", codes[4], "Plain 3")).json()
    assert fourth["state"] == "cooling_off"  # {3, 3, 3, 4} qualifies; 10 does not

    carla = await Pledge.get(campaign_id=campaign.id, personal_threshold=10)
    await tick(app)
    revealed = await refreshed(campaign)
    assert revealed.state == CampaignState.REVEALED
    assert revealed.revealed_count == 4

    status = (await _status(client, plain[0]["receipt"])).json()
    assert [p["name"] for p in status["cosigners"]] == ["Plain 0", "Plain 1", "Plain 2", "Plain 3"]
    # Carla's pledge was never opened: its envelope and key are intact, and it is not listed.
    carla = await Pledge.get(id=carla.id)
    assert carla.revealed is False
    assert len(carla.envelope) == envelope_length()
    assert pledge_key_names(app, campaign) == [f"pledge/{campaign.id}/{carla.id}"]
    carla_status = (await _status(client, cautious["receipt"])).json()
    assert carla_status == {"campaign": "walkout", "state": "revealed", "pledge": "not_revealed"}
    # The next tick empties the revealed envelopes, and only those.
    await tick(app)
    assert await Pledge.filter(campaign_id=campaign.id, envelope__isnull=False).count() == 1
    assert len((await Pledge.get(id=carla.id)).envelope) == envelope_length()

    # At the deadline it is shredded.
    report = await tick(app, now=in_days(31))
    assert report.shredded == 1
    ended = await refreshed(campaign)
    assert ended.destroyed_count == 1
    assert pledge_key_names(app, campaign) == []
    assert await Pledge.filter(campaign_id=campaign.id, revealed=False).count() == 0
    assert (await _status(client, cautious["receipt"])).status_code == 404
    # Revealed co-signers can still see the list.
    assert (await _status(client, plain[0]["receipt"])).json()["pledge"] == "revealed"


async def test_a_revealed_pledge_cannot_be_withdrawn(app, client):
    campaign = (await make_campaign(app)).campaign
    receipts = [a["receipt"] for a in await sign_with_new_codes(app, client, campaign, 3)]
    await tick(app)
    response = await client.post("/api/v1/pledges/withdraw", json={"receipt": receipts[0]})
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "already_revealed"
    assert (await refreshed(campaign)).revealed_count == 3


async def test_the_reveal_happens_once(app, client):
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    first = await reveal_module.reveal(
        campaign.id, from_state=CampaignState.COOLING_OFF, keystore=app.state.runtime.keystore
    )
    second = await reveal_module.reveal(
        campaign.id, from_state=CampaignState.COOLING_OFF, keystore=app.state.runtime.keystore
    )
    await tick(app)
    await tick(app)
    assert (first, second) == (True, False)
    assert await _events(campaign, EventKind.REVEALED) == 1
    assert await _events(campaign, EventKind.THRESHOLD_REACHED) == 1


async def test_a_failed_reveal_leaves_everything_in_place(app, client, monkeypatch):
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)

    real = reveal_module.release.sealed_chunks

    def broken(*args, **kwargs):
        # Fails after some chunks were sealed and handed over for storing.
        chunks = real(*args, **kwargs)
        yield next(chunks)
        raise RuntimeError("simulated failure while sealing")

    monkeypatch.setattr(reveal_module.release, "sealed_chunks", broken)
    report = await tick(app)
    assert report.errors == 1
    after = await refreshed(campaign)
    assert after.state == CampaignState.COOLING_OFF  # the claim was released
    assert after.released_to_organisers is None
    assert await ReleasedChunk.filter(campaign_id=campaign.id).count() == 0
    assert len(pledge_key_names(app, campaign)) == 3
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/server")
    monkeypatch.undo()
    assert (await tick(app)).revealed == 1


async def test_a_stale_reveal_claim_is_released(app, client):
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    # A process claimed the reveal and died.
    await campaign.filter(id=campaign.id).update(
        state=CampaignState.REVEALING, reveal_claimed_at=in_days(-1)
    )
    assert (await sign(client, "walkout", None, "Late")).status_code in (409, 422)
    report = await tick(app)
    # Released, then revealed by the same tick: the cooling-off period is over.
    assert (report.claims_released, report.revealed) == (1, 1)
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


@pytest.mark.parametrize("role", [Role.REVIEWER])
async def test_only_organisers_and_admins_read_reveals(app, client, role):
    await make_organiser("robin", role)
    await make_campaign(app)
    await sign_in(client, "robin")
    assert (await client.get("/organisers/campaigns/")).status_code == 403
    assert (await client.get("/organisers/campaigns/walkout/pledges")).status_code == 403
