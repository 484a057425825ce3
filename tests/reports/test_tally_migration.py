"""Upgrading a database that already holds reports counts them into the new table."""

from __future__ import annotations

import random

from tortoise import Tortoise

from organise.reports import tally
from organise.reports.models import Report
from tests.dashboard import data
from tests.migrating import database_at, migrated


async def _stored_at(settings, tmp_path, migration: str, *, seed: int):
    """A database migrated up to `migration`, holding the test reports as stored then."""
    settings, config = await database_at(settings, tmp_path, migration)
    rng = random.Random(seed)
    try:
        for item in data.ITEMS:
            await data.store_without_list(Tortoise.get_connection("default"), item, rng)
    finally:
        await Tortoise.close_connections()
    return settings, config


async def test_the_migration_counts_reports_stored_before_it(settings, tmp_path):
    # The database as it was before the counts existed, with reports stored in it...
    settings, config = await _stored_at(settings, tmp_path, "reports.0001_initial", seed=3)
    # ...then upgraded the way `organise migrate` does it.
    async with migrated(settings, config):
        counted = await tally.read_all(Tortoise.get_connection("default"))
        everything = ("status", tally.ANY, tally.ANY, tally.ANY)
        assert sum(n for cell, n in counted.items() if cell[:4] == everything) == len(data.ITEMS)
        by_employer = {
            cell[4]: n for cell, n in counted.items() if cell[:4] == ("employer", "*", "*", "*")
        }
        assert by_employer == {**data.EMPLOYERS, data.TARGET: 3}


async def test_the_migration_copies_each_stored_reports_technologies(settings, tmp_path):
    # Reports stored before each report carried its own technology list...
    settings, config = await _stored_at(
        settings, tmp_path, "reports.0003_technology_report_index", seed=5
    )
    # ...have it once upgraded, so the dashboard counts them by technology as before.
    async with migrated(settings, config):
        listed = {
            str(report_id): technologies
            for report_id, technologies in await Report.all().values_list("id", "technologies")
        }
        assert listed == {
            str(item.id): tally.technology_list(item.technologies) for item in data.ITEMS
        }
        assert await tally.repair_technology_lists(Tortoise.get_connection("default")) == 0
