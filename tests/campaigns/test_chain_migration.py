"""Upgrading a database that holds campaigns: old codes stop chaining, old times lose precision."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise import Tortoise

from organise.campaigns.models import Campaign, InviteCode, LifecycleEvent
from tests.migrating import database_at, insert_row, migrated, old_campaign_row

CROSSED = datetime(2030, 5, 1, 14, 23, 45, 123456, tzinfo=UTC)  # a Wednesday
COOLING_OFF_ENDS = datetime(2030, 5, 3, 14, 23, 45, 123456, tzinfo=UTC)


async def test_old_codes_get_the_largest_generation_and_times_are_rounded(settings, tmp_path):
    settings, config = await database_at(settings, tmp_path, "campaigns.0003_released_chunks")
    campaign_id = uuid.uuid4()
    try:
        client = Tortoise.get_connection("default")
        row = old_campaign_row(
            id=campaign_id, onward_invites=5, state="cooling_off", pledge_count=10,
            created_at=CROSSED, cooling_off_ends_at=COOLING_OFF_ENDS,
        )  # fmt: skip
        await insert_row(client, "campaign", row)
        for number in range(3):
            await insert_row(
                client,
                "campaign_invite",
                {"code_hash": f"{number:064d}", "campaign_id": campaign_id},
            )
        for kind in ("created", "threshold_reached"):
            await insert_row(
                client,
                "campaign_event",
                {"id": uuid.uuid4(), "campaign_id": campaign_id, "kind": kind, "at": CROSSED},
            )
    finally:
        await Tortoise.close_connections()

    async with migrated(settings, config):
        codes = await InviteCode.filter(campaign_id=campaign_id)
        assert [code.generation for code in codes] == [3, 3, 3]
        campaign = await Campaign.get(id=campaign_id)
        assert campaign.invite_depth == 1
        assert campaign.keep_revealed_days == 30
        assert campaign.cooling_off_ends_at == datetime(2030, 5, 3, 15, tzinfo=UTC)
        events = {e.kind.value: e.at for e in await LifecycleEvent.filter(campaign_id=campaign_id)}
        assert events["threshold_reached"] == datetime(2030, 4, 29, tzinfo=UTC)  # its Monday
        assert events["created"] == CROSSED  # the organiser's own action keeps its time
