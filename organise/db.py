"""Tortoise ORM configuration, migrations and the schema check."""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter
from tortoise.queryset import QuerySet

from organise.settings import Settings

# Each feature is its own Tortoise app, with `models.py` and its own `migrations/`,
# so features grow their schemas independently. A new feature adds its name here.
FEATURES = ("organisers", "contracts", "reports", "campaigns", "submissions", "surveys")

# Durability (FULL) and privacy (deleted rows overwritten, not left in free pages).
SQLITE_PRAGMAS = {
    "journal_mode": "WAL",
    "synchronous": "FULL",
    "secure_delete": "ON",
    "foreign_keys": "ON",
    "busy_timeout": 10000,
}


def _connection(settings: Settings) -> dict[str, Any] | str:
    if settings.is_sqlite:
        return {
            "engine": "tortoise.backends.sqlite",
            "credentials": {
                "file_path": settings.database_url.removeprefix("sqlite://"),
                **SQLITE_PRAGMAS,
            },
        }
    return settings.database_url


def tortoise_config(settings: Settings) -> dict[str, Any]:
    return {
        "connections": {"default": _connection(settings)},
        "apps": {
            feature: {
                "models": [f"organise.{feature}.models"],
                "default_connection": "default",
                "migrations": f"organise.{feature}.migrations",
            }
            for feature in FEATURES
        },
        "use_tz": True,
        "timezone": "UTC",
    }


async def migrate(settings: Settings) -> None:
    """Apply every committed migration that the database has not seen yet."""
    try:
        await run_migrations(config=tortoise_config(settings))
    finally:
        # The migration API leaves its connections open; an open aiosqlite thread would
        # keep a command-line process alive after its work is done.
        await Tortoise.close_connections()


async def pending_model_changes(settings: Settings) -> list[MigrationWriter]:
    """Migrations the models would need beyond the committed ones (empty when in step)."""
    config = tortoise_config(settings)
    async with TortoiseContext() as ctx:
        await ctx.init(config=config)
        assert ctx.apps is not None  # set by init
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


def write_migrations(writers: list[MigrationWriter]) -> list[Path]:
    return [Path(writer.write()) for writer in writers]


async def column_values(query: QuerySet[Any], name: str) -> list[Any]:
    """The values of one column of `query`'s rows.

    Tortoise's `values_list(name, flat=True)` returns plain values but is typed as returning
    tuples; this is the one place that says so to the type checker.
    """
    return cast(list[Any], await query.values_list(name, flat=True))
