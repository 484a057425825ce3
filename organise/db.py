"""Tortoise ORM configuration, migrations and the schema check."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.context import TortoiseContext
from tortoise.migrations.api import migrate as run_migrations
from tortoise.migrations.autodetector import MigrationAutodetector
from tortoise.migrations.writer import MigrationWriter

from organise.settings import Settings

# Each feature is its own Tortoise app, with `models.py` and its own `migrations/`,
# so features grow their schemas independently. A new feature adds its name here.
FEATURES = ("organisers", "contracts", "reports", "campaigns")

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
        return await MigrationAutodetector(ctx.apps, config["apps"]).changes()


def write_migrations(writers: list[MigrationWriter]) -> list[Path]:
    return [Path(writer.write()) for writer in writers]
