"""200 concurrent signatures on two server processes: rows match answers, one crossing, one reveal.

Only meaningful on PostgreSQL: SQLite serialises every write, so nothing could race.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time

import httpx
import pytest

from tests.campaigns.conftest import campaign_counts
from tests.conftest import RACE_MARKS, truncate_postgres
from tests.servers import LiveServer, racing_servers

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

SIGNATURES = 200
THRESHOLD = 100


async def _sign_all(urls: list[str], slug: str, codes: list[str]) -> list[int]:
    limits = httpx.Limits(max_connections=SIGNATURES, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(number: int, code: str) -> int:
            url = f"{urls[number % len(urls)]}/api/v1/campaigns/{slug}/pledges"
            response = await client.post(url, json={"invite_code": code, "name": f"W{number}"})
            return response.status_code

        return await asyncio.gather(*(one(n, code) for n, code in enumerate(codes)))


def _run_cli(server: LiveServer, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "organise", *args],
        env=server.env,
        cwd=server.root,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_hundred_concurrent_signatures_on_two_processes(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url)
    try:
        first.create_campaign("race", threshold=THRESHOLD, days=1, cooling_off="0")
        codes = first.invite_codes("race", SIGNATURES)
        assert len(codes) == SIGNATURES
        first.start()
        second.start()

        statuses = asyncio.run(_sign_all([first.url, second.url], "race", codes))

        # Two ticks from the command line at once, alongside the servers' own tickers.
        ticks = [_run_cli(first, "tick"), _run_cli(second, "tick")]
        for process in ticks:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            assert json.loads(out)["errors"] == 0
        for _ in range(300):
            if asyncio.run(campaign_counts("race"))["state"] == "revealed":
                break
            time.sleep(0.1)
        counts = asyncio.run(campaign_counts("race"))
    finally:
        first.stop()
        second.stop()

    accepted = statuses.count(201)
    assert set(statuses) <= {201, 409}, sorted(set(statuses))
    assert accepted >= THRESHOLD
    assert counts["rows"] == accepted
    assert counts["pledge_count"] == accepted
    assert counts["state"] == "revealed"
    assert counts["revealed_count"] == accepted  # everyone who got a receipt is in the reveal
    assert counts["events"] == {"created": 1, "threshold_reached": 1, "revealed": 1}
    assert "Traceback" not in first.output()
    asyncio.run(truncate_postgres(database_url))
