"""What the fault drills share: a real server, raw row counts, raw copies of the stored data.

The drills drive real `organise serve` processes (tests/servers.py) from the test process, so
they see what a client sees: status codes, bodies, and what is left on disk afterwards.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
from starlette.routing import Mount, Route

from organise.app import create_app
from organise.settings import Settings
from tests.conftest import ON_POSTGRES, POSTGRES_URL, connect_postgres
from tests.servers import LiveServer
from tests.support import PASSPHRASE


def server_env() -> dict[str, str]:
    """The database the drills' servers use: the test PostgreSQL database, or their own SQLite."""
    return {"DATABASE_URL": POSTGRES_URL} if ON_POSTGRES else {}


def post_routes() -> list[tuple[str, bool]]:
    """Every POST route of the app (path template, is it an organiser route), Mounts included."""
    scratch = Path("/nonexistent-organise-drill")
    app = create_app(
        Settings(
            instance_dir=scratch,
            database_url="sqlite://:memory:",
            keystore_path=scratch / "keystore.sqlite3",
        )
    )

    def walk(routes: list, prefix: str) -> Iterator[tuple[str, bool]]:
        for route in routes:
            if isinstance(route, Mount):
                yield from walk(list(route.routes or []), prefix + route.path)
            elif isinstance(route, Route) and "POST" in (route.methods or set()):
                policy = getattr(route.endpoint, "access_policy", None)
                yield prefix + route.path, policy is not None and not policy.is_public

    return sorted(set(walk(list(app.routes), "")))


# -- counting rows -------------------------------------------------------------------------


def _sqlite_counts(path: Path) -> dict[str, int]:
    if not path.exists():
        return {}
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        # Names come from the database's own catalogue.
        return {
            f"{path.name}:{table}": connection.execute(
                f'SELECT count(*) FROM "{table}"'  # noqa: S608
            ).fetchone()[0]
            for table in tables
        }
    finally:
        connection.close()


async def _postgres_counts() -> dict[str, int]:

    connection = await connect_postgres()
    try:
        tables = await connection.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
        )
        return {
            f"pg:{row['tablename']}": await connection.fetchval(
                f'SELECT count(*) FROM "{row["tablename"]}"'  # noqa: S608
            )
            for row in tables
        }
    finally:
        await connection.close()


def row_counts(server: LiveServer) -> dict[str, int]:
    """Rows in every table of the main database and of the keystore."""
    counts = _sqlite_counts(server.instance_dir / "keystore.sqlite3")
    if ON_POSTGRES:
        counts.update(asyncio.run(_postgres_counts()))
    else:
        counts.update(_sqlite_counts(server.instance_dir / "organise.sqlite3"))
    return counts


# -- raw copies ----------------------------------------------------------------------------


def pg_dump() -> bytes:
    if shutil.which("pg_dump") is None:
        raise RuntimeError("pg_dump is not installed")
    return subprocess.run(
        ["pg_dump", "--no-owner", POSTGRES_URL],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    ).stdout


def files_under(root: Path) -> dict[str, bytes]:
    return {str(path): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def variants(secret: str) -> list[bytes]:
    raw = secret.encode("utf-8")
    return [raw, raw.hex().encode(), secret.encode("utf-16-le")]


def find_secrets(blobs: dict[str, bytes], secrets: list[str]) -> list[str]:
    """`where: secret` for every secret found in any blob, in any stored form."""
    found = []
    for where, data in blobs.items():
        lowered = data.lower()
        for secret in secrets:
            if any(form.lower() in lowered for form in variants(secret)):
                found.append(f"{where}: {secret}")
    return found


# -- setting up ----------------------------------------------------------------------------


def sign_in(url: str, username: str) -> str:
    """A fresh organiser session cookie (full-strength Argon2id: about a second)."""
    with httpx.Client(base_url=url, timeout=60) as http:
        response = http.post(
            "/organisers/login",
            data={"username": username, "passphrase": PASSPHRASE},
            headers={"Sec-Fetch-Site": "same-origin"},
        )
        if response.status_code != 303:
            raise RuntimeError(f"sign-in failed: {response.status_code} {response.text[:200]}")
        return response.cookies["organise_session"]


def campaign_row(slug: str, server: LiveServer) -> dict[str, object]:
    """The campaign's count, state and stored pledge rows, read straight from the database."""
    if ON_POSTGRES:

        async def read() -> dict[str, object]:

            connection = await connect_postgres()
            try:
                row = await connection.fetchrow(
                    "SELECT id, state, pledge_count FROM campaign WHERE slug = $1", slug
                )
                rows = await connection.fetchval(
                    "SELECT count(*) FROM campaign_pledge WHERE campaign_id = $1", row["id"]
                )
                return {
                    "id": str(row["id"]),
                    "state": row["state"],
                    "pledge_count": row["pledge_count"],
                    "rows": rows,
                }
            finally:
                await connection.close()

        return asyncio.run(read())
    path = server.instance_dir / "organise.sqlite3"
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        campaign_id, state, count = connection.execute(
            "SELECT id, state, pledge_count FROM campaign WHERE slug = ?", (slug,)
        ).fetchone()
        rows = connection.execute(
            "SELECT count(*) FROM campaign_pledge WHERE campaign_id = ?", (campaign_id,)
        ).fetchone()[0]
        return {"id": str(campaign_id), "state": state, "pledge_count": count, "rows": rows}
    finally:
        connection.close()


def unique(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:16]}"


def json_dumps(value: object) -> bytes:
    return json.dumps(value).encode("utf-8")
