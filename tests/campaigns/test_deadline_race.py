"""The tick destroying pledges past their own deadline while a signature arrives (PostgreSQL).

Whichever commits first, the count matches the rows, the state matches the set that may be
revealed, and every crossing of the threshold (or loss of it) is logged once: the destruction,
the recount and the `threshold_lost` event are one transaction under the campaign row's lock,
which the signature's count also takes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from organise.campaigns import deadlines
from organise.campaigns.models import CampaignState, EventKind, LifecycleEvent, Pledge
from tests.campaigns.conftest import (
    in_days,
    make_campaign,
    make_codes,
    pledge_key_names,
    refreshed,
    sign,
    tick,
)
from tests.conftest import ON_POSTGRES
from tests.support import campaign_owner

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="races only mean something on PostgreSQL"),
    pytest.mark.timeout(120),
]

ROUNDS = 8


async def _race_once(app, client, slug: str, threshold: int, stagger: float) -> dict[str, object]:
    """Two pledges past their own deadline, one opted in to the new one; then a signature and
    a tick at once."""
    campaign = (
        await make_campaign(
            app, slug=slug, threshold=threshold, cooling_off_hours=300, deadline=in_days(5)
        )
    ).campaign
    codes = await make_codes(app, campaign, 4)
    for code, name in zip(codes[:3], ("Rosa", "Emma", "Lucy"), strict=True):
        assert (await sign(client, slug, code, name)).status_code == 201
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    await deadlines.extend_deadline(campaign, in_days(30), acting=await campaign_owner())
    moved = await refreshed(campaign)
    pledges = await Pledge.filter(campaign_id=campaign.id).order_by("id")
    # One signer opted in; the other two kept a deadline that has now passed.
    await Pledge.filter(id=pledges[0].id).update(deadline=moved.deadline)
    past = datetime.now(UTC) - timedelta(seconds=1)
    await Pledge.filter(id__in=[p.id for p in pledges[1:]]).update(deadline=past)

    async def late_signature() -> object:
        # Started a little later each round, so that both orders of commit come up.
        await asyncio.sleep(stagger)
        return await sign(client, slug, codes[3], "Mona")

    signed, report = await asyncio.gather(late_signature(), tick(app))
    assert signed.status_code == 201, signed.text
    assert report.lapsed == 2
    assert report.errors == 0
    final = await refreshed(campaign)
    kinds = list(
        await LifecycleEvent.filter(campaign_id=campaign.id).values_list("kind", flat=True)
    )
    return {
        "state": final.state,
        "count": final.pledge_count,
        "rows": await Pledge.filter(campaign_id=campaign.id).count(),
        "keys": len(pledge_key_names(app, campaign)),
        "destroyed": final.destroyed_count,
        "reached": kinds.count(EventKind.THRESHOLD_REACHED),
        "lost": kinds.count(EventKind.THRESHOLD_LOST),
        "lapsed": kinds.count(EventKind.LAPSED),
    }


async def test_the_count_falls_back_below_the_threshold_whatever_commits_first(app, client):
    for number in range(ROUNDS):
        outcome = await _race_once(
            app, client, f"fall-{number}", threshold=3, stagger=number * 0.004
        )
        # Two live pledges (the opted-in one and the new one) of the three needed.
        assert outcome == {
            "state": CampaignState.OPEN,
            "count": 2,
            "rows": 2,
            "keys": 2,
            "destroyed": 2,
            "reached": 1,
            "lost": 1,
            "lapsed": 1,
        }


async def test_a_signature_that_keeps_the_threshold_is_counted_whatever_commits_first(app, client):
    for number in range(ROUNDS):
        outcome = await _race_once(
            app, client, f"keep-{number}", threshold=2, stagger=number * 0.004
        )
        assert outcome["state"] == CampaignState.COOLING_OFF
        assert (outcome["count"], outcome["rows"], outcome["keys"]) == (2, 2, 2)
        # Either the tick went first (lost, then reached again) or the signature did (neither):
        # each crossing and each loss logged once, ending above the threshold.
        assert outcome["reached"] == int(outcome["lost"]) + 1
        assert outcome["lapsed"] == 1
