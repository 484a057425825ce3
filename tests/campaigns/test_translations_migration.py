"""Upgrading a database with campaigns: each gets an empty set of translations (its pages then
show the default words in every language, with the note)."""

from __future__ import annotations

from datetime import UTC, datetime

from tortoise import Tortoise

from organise.campaigns.models import Campaign
from tests.migrating import database_at, insert_row, migrated, old_campaign_row


async def test_campaigns_made_before_translations_have_none(settings, tmp_path):
    settings, config = await database_at(settings, tmp_path, "campaigns.0008_campaign_operations")
    row = old_campaign_row(slug="older", title="Older", created_at=datetime(2030, 5, 1, tzinfo=UTC))
    try:
        await insert_row(Tortoise.get_connection("default"), "campaign", row)
    finally:
        await Tortoise.close_connections()
    async with migrated(settings, config):
        campaign = await Campaign.get(slug="older")
        assert campaign.translations == {}
        assert campaign.title == "Older"
