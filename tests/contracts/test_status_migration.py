"""Upgrading a database whose published records say "known internally": they say "rumoured"."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from organise.contracts.models import Contract
from organise.db import migrate, tortoise_config
from organise.weeks import this_week
from tests.conftest import ON_POSTGRES, truncate_postgres
from tests.reports.test_tally_migration import _fresh_database


async def test_records_published_as_known_internally_become_rumoured(settings, tmp_path):
    settings = await _fresh_database(settings, tmp_path)
    config = tortoise_config(settings)
    await run_migrations(config=config, target="contracts.0001_initial")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
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
    await migrate(settings)
    await Tortoise.init(config=config)
    try:
        statuses = sorted(await Contract.all().values_list("status", flat=True))
        assert statuses == ["public-record", "rumoured", "rumoured", "rumoured"]
    finally:
        await Tortoise.close_connections()
        if ON_POSTGRES:  # leave the shared database empty for the tests after this one
            await truncate_postgres(settings.database_url)
