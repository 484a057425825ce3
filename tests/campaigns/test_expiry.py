"""Deadline passed below the threshold: every pledge destroyed, unrecoverable by anyone."""

from __future__ import annotations

import pytest

from crypto.envelope import open_pledge
from crypto.errors import ShareError
from crypto.gate import GatePolicy, recover_private_key
from organise.campaigns.models import (
    CampaignState,
    EventKind,
    InviteCode,
    LifecycleEvent,
    Pledge,
)
from tests.campaigns.conftest import (
    in_days,
    make_campaign,
    make_codes,
    pledge_rows,
    refreshed,
    sign,
    sign_with_new_codes,
    tick,
)
from tests.support import post_form


async def _two_pledges_then_expire(app, client, gate):
    created = await make_campaign(app, gate=gate, deadline=in_days(1))
    campaign = created.campaign
    codes = await make_codes(app, campaign, 3)
    receipts = [(await sign(client, "walkout", c, "Canary Name")).json() for c in codes[:2]]
    # A copy of the pledge rows, as an old database backup would hold them.
    backup = list(await Pledge.filter(campaign_id=campaign.id).values_list("id", "envelope"))
    assert len(backup) == 2
    assert (await tick(app, now=in_days(0.5))).expired == 0
    report = await tick(app, now=in_days(1.01))
    assert report.expired == 1
    return created, backup, receipts


async def test_expiry_destroys_every_pledge_and_says_so(app, client):
    created, _backup, receipts = await _two_pledges_then_expire(app, client, GatePolicy("server"))
    campaign = await refreshed(created.campaign)
    assert campaign.state == CampaignState.EXPIRED
    assert campaign.destroyed_count == 2
    assert await pledge_rows(campaign) == 0
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 0
    assert app.state.runtime.keystore.names(f"pledge/{campaign.id}/") == []
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    [event] = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.EXPIRED)
    assert event.count == 2

    page = await client.get("/campaigns/walkout")
    assert "2 pledges were destroyed unread" in page.text
    body = (await client.get("/api/v1/campaigns/walkout")).json()
    assert (body["state"], body["destroyed_unread"]) == ("expired", 2)
    gone = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]["receipt"]})
    assert gone.status_code == 404
    withdraw = await post_form(
        client, "/pledges/withdraw", {"receipt": receipts[0]["receipt"], "confirm": "yes"}
    )
    assert withdraw.status_code == 404
    # Ticking again changes nothing and logs nothing more.
    assert (await tick(app, now=in_days(2))).expired == 0
    assert await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.EXPIRED).count() == 1


async def test_after_expiry_every_gatekeeper_share_together_cannot_rebuild_the_key(app, client):
    created, _backup, _receipts = await _two_pledges_then_expire(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    campaign = created.campaign
    with pytest.raises(ShareError) as refused:
        recover_private_key(
            list(created.gatekeeper_shares),
            identifier=campaign.gate_identifier,
            public_key=campaign.public_key,
        )
    assert refused.value.reason == "insufficient"


async def test_after_expiry_even_a_rebuilt_key_opens_no_backed_up_envelope(app, client):
    # In "any k of n" mode, gatekeepers alone can rebuild the campaign key by design;
    # the per-pledge keys are gone from the keystore, so old envelopes stay sealed.
    created, backup, _receipts = await _two_pledges_then_expire(
        app, client, GatePolicy("any_k_of_n", 3, 2)
    )
    campaign = created.campaign
    private_key = recover_private_key(
        list(created.gatekeeper_shares),
        identifier=campaign.gate_identifier,
        public_key=campaign.public_key,
    )
    names = [f"pledge/{campaign.id}/{pledge_id}" for pledge_id, _envelope in backup]
    assert app.state.runtime.keystore.get_many(names) == {}
    for pledge_id, envelope in backup:
        for guess in (bytes(32), app.state.runtime.code_pepper):
            with pytest.raises(Exception, match="Layer 2"):
                open_pledge(
                    bytes(envelope),
                    pledge_key=guess,
                    campaign_private_key=private_key,
                    campaign_id=str(campaign.id),
                    pledge_id=str(pledge_id),
                )


async def test_expiry_in_cooling_off(app, client):
    campaign = (await make_campaign(app, deadline=in_days(1), cooling_off_hours=48)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    report = await tick(app, now=in_days(1.5))
    assert (report.expired, report.revealed) == (1, 0)
    expired = await refreshed(campaign)
    assert (expired.state, expired.destroyed_count) == (CampaignState.EXPIRED, 3)
