"""Shared fixtures: a real database (SQLite, or PostgreSQL when asked), migrated once.

Set ORGANISE_TEST_DATABASE_URL=postgres://... to run the whole suite on PostgreSQL. The two
backends are never mixed in one process (Tortoise caches compiled SQL on the models).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest
from hypothesis import settings as hypothesis_settings
from nacl import pwhash
from starlette.applications import Starlette
from tortoise import Tortoise

from organise.app import create_app
from organise.campaigns.ticker import stop_ticker
from organise.db import migrate
from organise.organisers import accounts
from organise.settings import Settings

# This machine is shared and noisy: a per-example deadline would make property tests flaky.
hypothesis_settings.register_profile("organise", deadline=None)
hypothesis_settings.load_profile("organise")

POSTGRES_URL = os.environ.get("ORGANISE_TEST_DATABASE_URL", "")
ON_POSTGRES = POSTGRES_URL.startswith(("postgres://", "postgresql://"))
# The marks of a test of concurrent writers: SQLite serialises every write, so nothing races.
RACE_MARKS = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        not ON_POSTGRES,
        reason="races only mean something on PostgreSQL (set ORGANISE_TEST_DATABASE_URL)",
    ),
]
BASE_URL = "http://testserver"


async def connect_postgres(url: str = POSTGRES_URL) -> asyncpg.Connection:
    """A plain asyncpg connection (asyncpg wants postgresql://; the app takes postgres:// too)."""
    return await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))


async def truncate_postgres(url: str) -> None:
    """Empty every table but the migration history (for tests that run real servers)."""
    connection = await connect_postgres(url)
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename <> 'tortoise_migrations'"
        )
        if tables:
            names = ", ".join(f'"{row["tablename"]}"' for row in tables)
            await connection.execute(f"TRUNCATE {names} CASCADE")
    finally:
        await connection.close()


async def count_postgres_rows(table: str) -> int:
    """How many rows `table` holds in the test database (for tests that run real servers)."""
    connection = await connect_postgres()
    try:
        count: int = await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 -- ours
        return count
    finally:
        await connection.close()


async def reset_postgres(url: str) -> None:
    """Drop every table and the migration history: a database as new."""
    connection = await connect_postgres(url)
    try:
        await connection.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
    finally:
        await connection.close()


def keystore_database_url(url: str = POSTGRES_URL) -> str:
    """The shared keystore's own database beside the test database: its name plus `_keys`."""
    base, _, name = url.rpartition("/")
    return f"{base}/{name}_keys"


async def fresh_keystore_database(url: str = POSTGRES_URL) -> str:
    """Create the keystore database if missing, drop its tables; its URL."""
    keys_url = keystore_database_url(url)
    name = keys_url.rpartition("/")[2]
    admin = await connect_postgres(url)
    try:
        exists = await admin.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
        if not exists:
            await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    connection = await connect_postgres(keys_url)
    try:
        await connection.execute(
            "DROP TABLE IF EXISTS keystore_entry, keystore_epoch, keystore_host, keystore_kek_check"
        )
    finally:
        await connection.close()
    return keys_url


async def drop_keystore_database(url: str = POSTGRES_URL) -> None:
    name = keystore_database_url(url).rpartition("/")[2]
    admin = await connect_postgres(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Browser tests last: they start real servers and Chromium, the slowest part of the run.
    items.sort(key=lambda item: "tests/browser/" in str(item.path).replace(os.sep, "/"))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    if ON_POSTGRES:
        asyncio.run(reset_postgres(POSTGRES_URL))
        url = POSTGRES_URL
    else:
        url = f"sqlite://{tmp_path_factory.mktemp('db') / 'organise.sqlite3'}"
    probe = Settings(
        instance_dir=tmp_path_factory.mktemp("migrate"),
        database_url=url,
        keystore_path=tmp_path_factory.mktemp("ks") / "keystore.sqlite3",
    )
    asyncio.run(migrate(probe))
    return url


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    instance = tmp_path / "instance"
    return Settings(
        instance_dir=instance,
        database_url=database_url,
        keystore_path=instance / "keystore.sqlite3",
    )


@pytest.fixture(autouse=True)
def cheap_kdf(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Argon2id at MODERATE costs 256 MiB a call; tests of the web flows use the minimum.

    Tests marked `real_kdf` keep the shipped strength (asserted in tests/organisers).
    """
    if request.node.get_closest_marker("real_kdf"):
        yield
        return
    monkeypatch.setattr(accounts, "KDF_OPSLIMIT", pwhash.argon2id.OPSLIMIT_MIN)
    monkeypatch.setattr(accounts, "KDF_MEMLIMIT", pwhash.argon2id.MEMLIMIT_MIN)
    accounts._decoy_hash.cache_clear()
    yield
    accounts._decoy_hash.cache_clear()


async def _empty_tables() -> None:
    connection = Tortoise.get_connection("default")
    tables = [
        model._meta.db_table for models in Tortoise.apps.values() for model in models.values()
    ]
    if ON_POSTGRES:
        await connection.execute_script(f"TRUNCATE {', '.join(tables)} CASCADE")
    else:
        # Table names come from our own models, not from input.
        await connection.execute_script("".join(f"DELETE FROM {table};" for table in tables))  # noqa: S608


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(settings)


@contextlib.asynccontextmanager
async def running_client(
    app: Starlette, base_url: str = BASE_URL
) -> AsyncIterator[httpx.AsyncClient]:
    """A client for `app`, running (lifespan included), at `base_url`; tables emptied after."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            try:
                yield http
            finally:
                # A tick under way holds row locks that PostgreSQL's TRUNCATE would deadlock
                # with: let it finish first (stopping again at the lifespan's end is a no-op).
                await stop_ticker(app)
                await _empty_tables()


@pytest.fixture
async def client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client for the running app (lifespan included); tables are emptied afterwards."""
    async with running_client(app) as http:
        yield http
