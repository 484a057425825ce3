"""Gatekeepers: no reveal before k valid shares; bad shares named; forged shares refused."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crypto.gate import GatePolicy
from organise.campaigns import gatekeeping
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
)
from organise.refusal import Refused
from organise.roles import Role
from tests.campaigns.conftest import (
    awaiting_gate,
    hand_in,
    make_campaign,
    mistyped,
    pledge_key_names,
    refreshed,
    tick,
)
from tests.crypto.forgery import forged_share
from tests.support import make_organiser


async def _still_opens_with(client, campaign, shares: list[str]) -> None:
    """The genuine shares are each accepted, and open the gate: the campaign is revealed."""
    for share in shares:
        assert (await hand_in(client, campaign.slug, share)).status_code == 200
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


async def test_server_and_two_of_three_gatekeepers(app, client):
    await make_organiser("alex", Role.ORGANISER)
    campaign, shares, receipts = await awaiting_gate(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    assert len(shares) == 3
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE
    # Still nothing readable, however often the server ticks.
    for _ in range(3):
        await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]["receipt"]})
    assert status.json()["pledge"] == "sealed"

    first = await hand_in(client, "walkout", shares[0])
    assert first.status_code == 200
    assert "Your share was accepted. 1 more gatekeeper shares are needed." in first.text
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE

    typo = await hand_in(client, "walkout", mistyped(shares[1]))
    assert typo.status_code == 422
    assert "checksum error" in typo.text
    assert "mistyped" in typo.text

    misspelt = await hand_in(client, "walkout", shares[1].replace(shares[1].split()[4], "zzz", 1))
    assert misspelt.status_code == 422
    assert "Word 5 of this share is not a share word" in misspelt.text

    short = await hand_in(client, "walkout", " ".join(shares[1].split()[:20]))
    assert short.status_code == 422
    assert "This share has 20 words; a share has 33." in short.text

    duplicate = await hand_in(client, "walkout", shares[0].upper())
    assert duplicate.status_code == 409
    assert "already been handed in" in duplicate.text
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE

    second = await hand_in(client, "walkout", shares[2])
    assert second.status_code == 200
    assert "the pledges have been revealed" in second.text
    revealed = await refreshed(campaign)
    assert revealed.state == CampaignState.REVEALED
    assert revealed.revealed_count == 3
    # Handed-in shares, the server's share and the revealed pledges' keys are all gone.
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    assert pledge_key_names(app, campaign) == []
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]["receipt"]})
    assert len(status.json()["cosigners"]) == 3
    late = await hand_in(client, "walkout", shares[1])
    assert late.status_code == 409
    assert "destroy your share" in late.text


async def test_a_share_of_another_campaign_is_named(app, client):
    gate = GatePolicy("server_and_gatekeepers", 3, 2)
    await awaiting_gate(app, client, gate)
    other = await make_campaign(app, slug="other", gate=gate)
    response = await hand_in(client, "walkout", other.gatekeeper_shares[0])
    assert response.status_code == 422
    assert "belongs to another campaign" in response.text


async def test_shares_are_refused_before_the_threshold(app, client):
    created = await make_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))
    response = await hand_in(client, "walkout", created.gatekeeper_shares[0])
    assert response.status_code == 409
    assert "not waiting for gatekeepers yet" in response.text
    assert app.state.runtime.keystore.names(f"gate/{created.campaign.id}/submitted/") == []


async def test_any_two_of_three_holders_with_the_server_as_one(app, client):
    campaign, shares, _receipts = await awaiting_gate(app, client, GatePolicy("any_k_of_n", 3, 2))
    response = await hand_in(client, "walkout", shares[1])
    assert response.status_code == 200
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


NOT_DEALT = "This share is not one of the shares dealt for this campaign"


async def test_forged_shares_are_refused_and_the_real_ones_still_reveal(app, client):
    gate = GatePolicy("server_and_gatekeepers", 3, 2)
    campaign, shares, _receipts = await awaiting_gate(app, client, gate)
    # Someone who knows the public identifier forges three shares for every gatekeeper's place.
    for real in shares:
        for _ in range(3):
            response = await hand_in(client, "walkout", forged_share(real))
            assert response.status_code == 422
            assert NOT_DEALT in response.text
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/submitted/") == []
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE
    # Exactly k = 2 real shares open the gate.
    first = await hand_in(client, "walkout", shares[2])
    assert first.status_code == 200
    assert "1 more gatekeeper shares are needed" in first.text
    second = await hand_in(client, "walkout", shares[0])
    assert second.status_code == 200
    assert "the pledges have been revealed" in second.text
    revealed = await refreshed(campaign)
    assert (revealed.state, revealed.revealed_count) == (CampaignState.REVEALED, 3)
    events = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.REVEALED)
    assert len(events) == 1


async def test_a_forged_share_in_any_k_of_n_mode_is_refused(app, client):
    campaign, shares, _receipts = await awaiting_gate(app, client, GatePolicy("any_k_of_n", 3, 3))
    response = await hand_in(client, "walkout", forged_share(shares[0]))
    assert response.status_code == 422
    assert NOT_DEALT in response.text
    await _still_opens_with(client, campaign, shares[:2])


async def test_a_member_index_beyond_the_gatekeepers_is_refused(app, client):
    campaign, shares, _receipts = await awaiting_gate(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    for index in (3, 7, 15):
        response = await hand_in(client, "walkout", forged_share(shares[0], index=index))
        assert response.status_code == 422
        assert "belongs to another campaign" in response.text
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/submitted/") == []


async def test_a_campaign_without_share_hashes_clears_a_set_that_does_not_combine(app, client):
    """Campaigns made before the hashes existed: a forged share cannot block them for good."""
    gate = GatePolicy("server_and_gatekeepers", 3, 2)
    campaign, shares, _receipts = await awaiting_gate(app, client, gate)
    await Campaign.filter(id=campaign.id).update(share_hashes=None)
    assert (await hand_in(client, "walkout", forged_share(shares[0]))).status_code == 200
    response = await hand_in(client, "walkout", shares[1])
    assert response.status_code == 200
    assert "Every handed-in share has been cleared" in response.text
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/submitted/") == []
    await _still_opens_with(client, campaign, shares[:2])


async def test_a_share_after_the_deadline_expires_the_campaign_instead_of_revealing(app, client):
    campaign, shares, receipts = await awaiting_gate(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    assert (await hand_in(client, "walkout", shares[0])).status_code == 200
    # The deadline passes; no tick has run yet.
    await Campaign.filter(id=campaign.id).update(deadline=datetime.now(UTC) - timedelta(minutes=1))
    late = await hand_in(client, "walkout", shares[1])
    assert late.status_code == 409
    assert "deadline has passed" in late.text
    after = await refreshed(campaign)
    assert after.state == CampaignState.EXPIRED
    assert after.revealed_count is None
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    assert pledge_key_names(app, campaign) == []
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]["receipt"]})
    assert status.status_code == 404


async def test_a_share_stored_after_a_withdrawal_reopened_the_campaign_is_not_kept(app, client):
    campaign, shares, receipts = await awaiting_gate(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    seen = await refreshed(campaign)  # the gate form read the campaign while awaiting the gate
    withdrawn = await client.post(
        "/api/v1/pledges/withdraw", json={"receipt": receipts[0]["receipt"]}
    )
    assert withdrawn.json()["state"] == "open"
    with pytest.raises(Refused) as refused:
        await gatekeeping.submit(
            seen,
            shares[0],
            keystore=app.state.runtime.keystore,
            pepper=app.state.runtime.code_pepper,
        )
    assert refused.value.status == 409
    assert "not waiting for gatekeepers" in refused.value.message
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/submitted/") == []


async def test_the_gate_page_renders(app, client):
    await awaiting_gate(app, client, GatePolicy("server_and_gatekeepers", 1, 1))
    page = await client.get("/campaigns/walkout/gate")
    assert page.status_code == 200
    assert "the server and the one gatekeeper" in page.text
    assert "<textarea" in page.text
    assert "set-cookie" not in page.headers
