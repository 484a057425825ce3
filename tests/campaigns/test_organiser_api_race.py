"""The organisers' API with one Idempotency-Key sent twice at the same moment, to two server
processes: one campaign or one set of codes is made, and both answers show it. Only meaningful
on PostgreSQL.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from crypto import codes
from tests.conftest import RACE_MARKS, connect_postgres, truncate_postgres
from tests.servers import LiveServer, racing_servers

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

PAIRS = 8
API = "/api/v1/organiser/campaigns"


async def _count(table: str) -> int:
    connection = await connect_postgres()
    try:
        return await connection.fetchval(f"SELECT count(*) FROM {table}")  # noqa: S608 -- ours
    finally:
        await connection.close()


def _token(server: LiveServer) -> dict[str, str]:
    made = server.run_cli("token", "create", server.campaign_owner())
    assert made.returncode == 0, made.stderr
    return {"Authorization": f"Bearer {made.stdout.strip()}"}


async def _twice(urls: list[str], send: Any) -> list[tuple[httpx.Response, httpx.Response]]:
    """`send(client, url, number)` for every number, each twice at once, once per server."""
    limits = httpx.Limits(max_connections=4 * PAIRS, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def pair(number: int) -> tuple[httpx.Response, httpx.Response]:
            first, second = await asyncio.gather(
                send(client, urls[0], number), send(client, urls[1], number)
            )
            return first, second

        return list(await asyncio.gather(*(pair(number) for number in range(PAIRS))))


def test_one_key_twice_at_once_creates_one_campaign_and_one_set_of_codes(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url)
    keys = [codes.new_token() for _ in range(PAIRS)]
    mint_keys = [codes.new_token() for _ in range(PAIRS)]
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat(timespec="minutes")

    def campaign(number: int) -> dict[str, Any]:
        return {
            "slug": f"race-{number}",
            "title": f"Race {number}",
            "demand": "We refuse.",
            "employer": "Acme Cloud",
            "threshold": 5,
            "deadline": deadline,
            "cooling_off_hours": 0,
            "audience": "organisers",
            "invite_mode": "invite",
            "onward_invites": 0,
            "progress_display": "exact",
            "gate_mode": "server_and_gatekeepers",
            "gatekeepers": 3,
            "gatekeepers_required": 2,
        }

    try:
        headers = _token(first)

        async def create(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
            keyed = headers | {"Idempotency-Key": keys[number]}
            return await client.post(f"{url}{API}", json=campaign(number), headers=keyed)

        async def mint(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
            keyed = headers | {"Idempotency-Key": mint_keys[number]}
            body = {"count": 3, "batch": f"Batch {number}"}
            return await client.post(f"{url}{API}/race-0/invites", json=body, headers=keyed)

        first.start()
        second.start()
        created = asyncio.run(_twice([first.url, second.url], create))
        minted = asyncio.run(_twice([first.url, second.url], mint))
        campaigns, invites = asyncio.run(_count("campaign")), asyncio.run(_count("campaign_invite"))
        records = asyncio.run(_count("submission"))
    finally:
        first.stop()
        second.stop()
    try:
        for one, other in created:
            assert (one.status_code, other.status_code) == (201, 201), one.text + other.text
            shares = one.json()["gatekeeper_shares"]
            assert len(shares) == 3
            assert other.json()["gatekeeper_shares"] == shares
        for one, other in minted:
            assert (one.status_code, other.status_code) == (201, 201), one.text + other.text
            assert one.json()["codes"] == other.json()["codes"]
        assert campaigns == PAIRS
        assert invites == 3 * PAIRS
        assert records == 2 * PAIRS
        assert "Traceback" not in first.output() + second.output()
    finally:
        asyncio.run(truncate_postgres(database_url))
