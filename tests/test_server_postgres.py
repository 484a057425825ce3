"""Several server processes on one PostgreSQL database behave as one server."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import ON_POSTGRES, POSTGRES_URL, truncate_postgres
from tests.servers import LiveServer
from tests.support import PASSPHRASE

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL (PostgreSQL)"),
]


async def _sign_in_and_use(url: str) -> tuple[int, int]:
    # Sign-in runs Argon2id at full strength (two at a time per process): allow for queueing.
    async with httpx.AsyncClient(base_url=url, timeout=60) as http:
        login = await http.post(
            "/organisers/login", data={"username": "alex", "passphrase": PASSPHRASE}
        )
        # Later requests land on either process: the session must be known to both.
        pages = [await http.get("/organisers/") for _ in range(6)]
        return login.status_code, sum(page.status_code == 200 for page in pages)


def test_two_workers_share_sessions_through_postgresql(tmp_path, database_url):
    server = LiveServer(tmp_path, extra_env={"DATABASE_URL": POSTGRES_URL}, workers=2)
    server.start()
    try:
        server.create_organiser("alex", "admin")

        async def many() -> list[tuple[int, int]]:
            return await asyncio.gather(*(_sign_in_and_use(server.url) for _ in range(4)))

        results = asyncio.run(many())
    finally:
        server.stop()
        asyncio.run(truncate_postgres(POSTGRES_URL))
    assert results == [(303, 6)] * 4
    assert "Traceback" not in server.output()
