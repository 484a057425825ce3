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
from tests.conftest import RACE_MARKS, count_postgres_rows, truncate_postgres
from tests.servers import LiveServer, racing_servers, running, twice_at_once

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

PAIRS = 8
API = "/api/v1/organiser/campaigns"


def _token(server: LiveServer) -> dict[str, str]:
    made = server.run_cli("token", "create", server.campaign_owner())
    assert made.returncode == 0, made.stderr
    return {"Authorization": f"Bearer {made.stdout.strip()}"}


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

    headers = _token(first)

    async def create(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
        keyed = headers | {"Idempotency-Key": keys[number]}
        return await client.post(f"{url}{API}", json=campaign(number), headers=keyed)

    async def mint(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
        keyed = headers | {"Idempotency-Key": mint_keys[number]}
        body = {"count": 3, "batch": f"Batch {number}"}
        return await client.post(f"{url}{API}/race-0/invites", json=body, headers=keyed)

    with running(first, second) as urls:
        created = asyncio.run(twice_at_once(urls, create, PAIRS))
        minted = asyncio.run(twice_at_once(urls, mint, PAIRS))
    campaigns = asyncio.run(count_postgres_rows("campaign"))
    invites = asyncio.run(count_postgres_rows("campaign_invite"))
    records = asyncio.run(count_postgres_rows("submission"))
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
