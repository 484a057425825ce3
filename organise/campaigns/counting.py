"""The pledge count that matters for the threshold: the size of the set that may be revealed."""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.functions import Count

from organise.campaigns.models import Pledge
from organise.campaigns.policy import revealed_cutoff


async def threshold_counts(
    campaign_id: UUID, connection: BaseDBAsyncClient | None = None
) -> dict[int, int]:
    """Unrevealed pledges per personal threshold (a handful of rows, whatever the campaign size)."""
    rows = (
        await Pledge.filter(campaign_id=campaign_id, revealed=False)
        .using_db(connection)
        .annotate(n=Count("id"))
        .group_by("personal_threshold")
        .values_list("personal_threshold", "n")
    )
    return {int(personal): int(n) for personal, n in rows}


async def revealable(
    campaign_id: UUID, connection: BaseDBAsyncClient | None = None
) -> tuple[int | None, int]:
    """(highest personal threshold admitted, size) of the largest set that may be revealed."""
    return revealed_cutoff(await threshold_counts(campaign_id, connection))
