"""Helpers for tests of migrations: a database of its own, as it was before a migration."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.migrations.api.migrate import migrate as run_migrations

from organise.db import tortoise_config
from organise.settings import Settings
from tests.conftest import ON_POSTGRES


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


async def database_at(
    settings: Settings, tmp_path: Path, target: str
) -> tuple[Settings, dict[str, Any]]:
    """A fresh database migrated up to `target` only ("app.0001_name"), Tortoise connected to
    it; its settings and Tortoise configuration."""
    settings = await _fresh_database(settings, tmp_path)
    config = tortoise_config(settings)
    await run_migrations(config=config, target=target)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    return settings, config
