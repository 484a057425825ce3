"""The pledge count that matters for the threshold: the size of the set that may be revealed.

A pledge whose own deadline has passed (its signer kept an earlier deadline than the campaign's,
see `deadlines`) is no longer part of it, even before the tick destroys it.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.functions import Count

from organise.campaigns import clock
from organise.campaigns.models import Campaign, CampaignState, EventKind, LifecycleEvent, Pledge
from organise.campaigns.policy import revealed_cutoff


def within_deadline(now: datetime) -> Q:
    """Pledges whose own deadline has not passed at `now` (None: the campaign's, still running)."""
    return Q(deadline__isnull=True) | Q(deadline__gt=now)


async def threshold_counts(
    campaign_id: UUID, now: datetime, connection: BaseDBAsyncClient | None = None
) -> dict[int, int]:
    """Unrevealed pledges per personal threshold (a handful of rows, whatever the campaign size),
    leaving out those past their own deadline at `now`."""
    rows = (
        await Pledge.filter(within_deadline(now), campaign_id=campaign_id, revealed=False)
        .using_db(connection)
        .annotate(n=Count("id"))
        .group_by("personal_threshold")
        .values_list("personal_threshold", "n")
    )
    return {int(personal): int(n) for personal, n in rows}


async def revealable(
    campaign_id: UUID, now: datetime, connection: BaseDBAsyncClient | None = None
) -> tuple[int | None, int]:
    """(highest personal threshold admitted, size) of the largest set that may be revealed at
    `now`."""
    return revealed_cutoff(await threshold_counts(campaign_id, now, connection))


async def fall_back_if_below(
    campaign: Campaign, now: datetime, connection: BaseDBAsyncClient
) -> bool:
    """After pledges left a campaign past its threshold (withdrawn, or past their own deadline):
    back to `open`, with a `threshold_lost` event, if the set that may be revealed is now below
    the threshold. Inside the caller's transaction, which holds the campaign row's lock; True if
    it fell back (the caller then deletes any handed-in gatekeeper shares, after the commit)."""
    if campaign.state not in (CampaignState.COOLING_OFF, CampaignState.AWAITING_GATE):
        return False
    _cutoff, size = await revealable(campaign.id, now, connection)
    if size >= campaign.threshold:
        return False
    moved = (
        await Campaign.filter(id=campaign.id, state=campaign.state)
        .using_db(connection)
        .update(state=CampaignState.OPEN, cooling_off_ends_at=None)
    )
    if moved != 1:
        return False
    await LifecycleEvent.create(
        campaign_id=campaign.id,
        kind=EventKind.THRESHOLD_LOST,
        at=clock.week_start(now),  # caused by a signer's act or deadline: the week only
        using_db=connection,
    )
    return True
