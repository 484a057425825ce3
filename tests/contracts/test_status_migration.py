"""Upgrading a database whose published records say "known internally": they say "rumoured"."""

from __future__ import annotations

from tortoise import Tortoise

from organise.contracts.models import Contract
from organise.weeks import this_week
from tests.migrating import database_at, migrated


async def test_records_published_as_known_internally_become_rumoured(settings, tmp_path):
    settings, config = await database_at(settings, tmp_path, "contracts.0001_initial")
    try:
        for status in ("known-internally", "public-record", "rumoured", "known-internally"):
            await Contract.create(
                summary=status,
                status=status,
                agency_name="Springfield Police Department",
                agency_type="police",
                country="US",
                origin="reports",
                published_week=this_week(),
            )
    finally:
        await Tortoise.close_connections()
    async with migrated(settings, config):
        statuses = sorted(await Contract.all().values_list("status", flat=True))
        assert statuses == ["public-record", "rumoured", "rumoured", "rumoured"]
