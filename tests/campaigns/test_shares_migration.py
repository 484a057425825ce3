"""Upgrading a database whose ended campaigns still hold gatekeeper shares: they are emptied."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from tortoise import Tortoise

from organise.campaigns.models import HeldShare, ShareLink
from tests.migrating import database_at, insert_row, migrated, old_campaign_row

CREATED = datetime(2030, 5, 1, 14, tzinfo=UTC)


def _campaign(slug: str, state: str) -> dict[str, object]:
    return old_campaign_row(
        slug=slug, title=slug, gate_mode="server_and_gatekeepers", gate_gatekeepers=2,
        gate_threshold=2, state=state, created_at=CREATED,
    )  # fmt: skip


async def test_shares_of_ended_campaigns_are_emptied_and_the_others_kept(settings, tmp_path):
    settings, config = await database_at(
        settings, tmp_path, "campaigns.0006_gatekeeper_held_shares_and_share_links"
    )
    keeper = uuid.uuid4()
    campaigns = {state: _campaign(state, state) for state in ("revealed", "expired", "open")}
    try:
        client = Tortoise.get_connection("default")
        await insert_row(
            client,
            "organiser",
            {"id": keeper, "username": "ana", "role": "gatekeeper", "created_at": CREATED},
        )
        for number, row in enumerate(campaigns.values()):
            await insert_row(client, "campaign", row)
            await insert_row(
                client,
                "campaign_held_share",
                {
                    "id": uuid.uuid4(), "campaign_id": row["id"], "organiser_id": keeper,
                    "sealed_share": b"sealed", "handed_in": False,
                },
            )  # fmt: skip
            await insert_row(
                client,
                "campaign_share_link",
                {
                    "lookup_hash": f"{number:064d}", "campaign_id": row["id"], "number": 1,
                    "encrypted_share": b"encrypted",
                },
            )  # fmt: skip
    finally:
        await Tortoise.close_connections()

    async with migrated(settings, config):
        for state, row in campaigns.items():
            held = await HeldShare.get(campaign_id=row["id"])
            link = await ShareLink.get(campaign_id=row["id"])
            if state == "open":  # still needed
                assert (held.sealed_share, link.encrypted_share) == (b"sealed", b"encrypted")
            else:
                assert (held.sealed_share, link.encrypted_share) == (None, None), state
