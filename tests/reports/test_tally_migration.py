"""Upgrading a database that already holds reports counts them into the new table."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from organise.db import migrate, tortoise_config
from organise.reports import tally
from organise.settings import Settings
from tests.conftest import ON_POSTGRES, truncate_postgres
from tests.dashboard import data


async def _fresh_database(settings: Settings, tmp_path: Path) -> Settings:
    """A database of its own: a new SQLite file, or the session's PostgreSQL one emptied."""
    if not ON_POSTGRES:
        return dataclasses.replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    await Tortoise.init(config=tortoise_config(settings))
    await Tortoise.get_connection("default").execute_script(
        "DROP SCHEMA public CASCADE; CREATE SCHEMA public;"
    )
    await Tortoise.close_connections()
    return settings


async def test_the_migration_counts_reports_stored_before_it(settings, tmp_path):
    settings = await _fresh_database(settings, tmp_path)
    config = tortoise_config(settings)
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
        if ON_POSTGRES:  # leave the shared database empty for the tests after this one
            await truncate_postgres(settings.database_url)
