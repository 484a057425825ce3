"""Helpers for tests of migrations: a database of its own, as it was before a migration."""

from __future__ import annotations

import contextlib
import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.migrations.api.migrate import migrate as run_migrations

from organise.db import migrate, tortoise_config
from organise.settings import Settings
from tests.conftest import ON_POSTGRES, reset_postgres, truncate_postgres


async def _fresh_database(settings: Settings, tmp_path: Path) -> Settings:
    """A database of its own: a new SQLite file, or the session's PostgreSQL one emptied."""
    if not ON_POSTGRES:
        return dataclasses.replace(settings, database_url=f"sqlite://{tmp_path / 'old.sqlite3'}")
    await reset_postgres(settings.database_url)
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


def old_campaign_row(**columns: object) -> dict[str, object]:
    """A campaign row with every column the schemas from campaigns 0003 to 0006 require: open,
    invite-only, the server its only gate; `columns` change or add columns."""
    row: dict[str, object] = {
        "id": uuid.uuid4(), "slug": "old", "title": "Old", "demand": "x", "employer": "",
        "contract": "", "threshold": 10, "deadline": datetime(2031, 1, 1, tzinfo=UTC),
        "cooling_off_hours": 48, "audience": "organisers", "invite_mode": "invite",
        "onward_invites": 0, "progress_display": "exact", "gate_mode": "server",
        "gate_gatekeepers": 0, "gate_threshold": 0, "gate_identifier": 1,
        "public_key": b"k" * 32, "state": "open", "pledge_count": 0, "destroyed_count": 0,
        "shredded": False, "keys_pending": False, "created_at": datetime(2030, 4, 1, tzinfo=UTC),
    }  # fmt: skip
    return row | columns


async def insert_row(connection: BaseDBAsyncClient, table: str, row: dict[str, object]) -> None:
    """One row as an older schema stored it, written in plain SQL."""
    postgres = connection.capabilities.dialect == "postgres"
    marks = ", ".join(f"${n}" if postgres else "?" for n in range(1, len(row) + 1))
    await connection.execute_query(
        f"INSERT INTO {table} ({', '.join(row)}) VALUES ({marks})",  # noqa: S608
        [str(v) if isinstance(v, uuid.UUID) and not postgres else v for v in row.values()],
    )


@contextlib.asynccontextmanager
async def migrated(settings: Settings, config: dict[str, Any]) -> AsyncIterator[None]:
    """The database upgraded the way `organise migrate` does it, Tortoise connected to it; on
    leaving, disconnected (and the session's PostgreSQL database left empty for the tests after
    this one)."""
    await migrate(settings)
    await Tortoise.init(config=config)
    try:
        yield
    finally:
        await Tortoise.close_connections()
        if ON_POSTGRES:
            await truncate_postgres(settings.database_url)
