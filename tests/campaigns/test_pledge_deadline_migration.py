"""Upgrading a database that holds pledges: each keeps its campaign's deadline as its own."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from tortoise import Tortoise

from organise.campaigns.models import Pledge
from tests.migrating import database_at, insert_row, migrated, old_campaign_row

DEADLINE = datetime(2031, 1, 1, 18, tzinfo=UTC)


async def test_existing_pledges_keep_the_deadline_their_signers_agreed_to(settings, tmp_path):
    settings, config = await database_at(
        settings, tmp_path, "campaigns.0006_gatekeeper_held_shares_and_share_links"
    )
    campaign_id, pledge_id = uuid.uuid4(), uuid.uuid4()
    try:
        client = Tortoise.get_connection("default")
        row = old_campaign_row(
            id=campaign_id, deadline=DEADLINE, pledge_count=1, created_at=DEADLINE
        )
        await insert_row(client, "campaign", row)
        await insert_row(
            client,
            "campaign_pledge",
            {
                "id": pledge_id, "campaign_id": campaign_id, "envelope": b"e",
                "personal_threshold": 10, "receipt_hash": "0" * 64,
                "week": date(2030, 4, 29), "revealed": False,
            },
        )  # fmt: skip
    finally:
        await Tortoise.close_connections()

    async with migrated(settings, config):
        assert (await Pledge.get(id=pledge_id)).deadline == DEADLINE
