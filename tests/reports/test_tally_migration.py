"""Upgrading a database that already holds reports counts them into the new table."""

from __future__ import annotations

import random

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from organise.db import migrate, tortoise_config
from organise.reports import tally
from tests.conftest import ON_POSTGRES
from tests.dashboard import data


async def _fresh_database(config: dict) -> None:
    if ON_POSTGRES:  # the session's database is shared: start this one from nothing
        await Tortoise.init(config=config)
        await Tortoise.get_connection("default").execute_script(
            "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
        )
        await Tortoise.close_connections()


async def test_the_migration_counts_reports_stored_before_it(settings):
    config = tortoise_config(settings)
    await _fresh_database(config)
    # The database as it was before the counts existed, with reports stored in it...
    await run_migrations(config=config, target="reports.0001_initial")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    rng = random.Random(3)
    try:
        for item in data.ITEMS:
            await data.store(item.id, item, rng)
    finally:
        await Tortoise.close_connections()
    # ...then upgraded the way `organise migrate` does it.
    await migrate(settings)
    await Tortoise.init(config=config)
    try:
        counted = await tally.read_all(Tortoise.get_connection("default"))
        everything = ("status", tally.ANY, tally.ANY, tally.ANY)
        assert sum(n for cell, n in counted.items() if cell[:4] == everything) == len(data.ITEMS)
        by_employer = {
            cell[4]: n for cell, n in counted.items() if cell[:4] == ("employer", "*", "*", "*")
        }
        assert by_employer == {**data.EMPLOYERS, data.TARGET: 3}
    finally:
        await Tortoise.close_connections()
