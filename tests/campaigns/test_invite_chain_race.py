"""The invite chain's bound under real concurrency: every code of a generation at once, each
several times, on two server processes. Only meaningful on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from tests.campaigns.conftest import campaign_counts
from tests.conftest import RACE_MARKS, truncate_postgres
from tests.servers import racing_servers

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

ONWARD = 3
DEPTH = 2
BOUND = 1 + 3 + 9
THRESHOLD = 20
TRIES = 6  # concurrent uses of each code


async def _generation(urls: list[str], codes: list[str]) -> tuple[int, list[str]]:
    """Use every code TRIES times at once, across the servers: (pledges made, codes received)."""
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(number: int, code: str) -> httpx.Response:
            url = f"{urls[number % len(urls)]}/api/v1/campaigns/chain/pledges"
            return await client.post(url, json={"invite_code": code, "name": f"Puppet {number}"})

        tries = [code for code in codes for _ in range(TRIES)]
        answers = await asyncio.gather(*(one(n, code) for n, code in enumerate(tries)))
    assert {answer.status_code for answer in answers} <= {201, 403}
    made = [answer.json() for answer in answers if answer.status_code == 201]
    return len(made), [code for body in made for code in body["invite_codes"]]


def test_the_bound_holds_when_every_code_is_used_at_once(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url)
    try:
        first.create_campaign(
            "chain",
            threshold=THRESHOLD,
            days=1,
            onward_invites=str(ONWARD),
            invite_depth=str(DEPTH),
        )
        assert (
            json.loads(first.run_cli("campaign", "show", "chain").stdout)["invite_chain_bound"]
            == BOUND
        )
        codes = first.invite_codes("chain", 1)
        first.start()
        second.start()
        signed = []
        while codes:
            made, codes = asyncio.run(_generation([first.url, second.url], codes))
            signed.append(made)
        counts = asyncio.run(campaign_counts("chain"))
    finally:
        first.stop()
        second.stop()
    # Each code went in exactly once, however many times it was tried at once.
    assert signed == [1, 3, 9]
    assert counts["rows"] == counts["pledge_count"] == BOUND
    assert counts["state"] == "open"
    asyncio.run(truncate_postgres(database_url))
