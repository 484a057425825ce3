"""Reports, rejections and merges all at once on two server processes: the counts stay exact.

Every submission adds to the same shared cells (all reports, their status, their month...), so
concurrent writers really contend for the same rows. Only meaningful on PostgreSQL.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.conftest import RACE_MARKS, connect_postgres, truncate_postgres
from tests.reports.helpers import report_json
from tests.servers import racing_servers
from tests.support import PASSPHRASE, post_form

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

FIRST_WAVE = 40
SECOND_WAVE = 40
REJECTED = 10
MERGED = 10


async def _submit_all(client: httpx.AsyncClient, urls: list[str], count: int) -> list[int]:
    async def one(number: int) -> int:
        body = report_json(
            employer=("Acme", "Borealis")[number % 2],
            country=("US", "DE", "")[number % 3],
            technologies=[("face-recognition", "cloud-hosting", "drones-robots")[number % 3]],
        )
        response = await client.post(f"{urls[number % len(urls)]}/api/v1/reports", json=body)
        return response.status_code

    return list(await asyncio.gather(*(one(number) for number in range(count))))


async def _report_ids() -> list[str]:
    connection = await connect_postgres()
    try:
        return [
            str(row["id"]) for row in await connection.fetch("SELECT id FROM report ORDER BY id")
        ]
    finally:
        await connection.close()


async def _counted_in_tally() -> int:
    connection = await connect_postgres()
    try:
        return await connection.fetchval(
            "SELECT COALESCE(SUM(reports), 0) FROM report_tally"
            " WHERE dimension = 'status' AND technology = '*' AND country = '*' AND month = '*'"
        )
    finally:
        await connection.close()


async def _race(urls: list[str]) -> tuple[list[int], list[int]]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with (
        httpx.AsyncClient(timeout=120, limits=limits) as workers,
        httpx.AsyncClient(timeout=120, limits=limits) as reviewer,
    ):
        first = await _submit_all(workers, urls, FIRST_WAVE)
        signed = await post_form(
            reviewer, f"{urls[0]}/organisers/login", {"username": "robin", "passphrase": PASSPHRASE}
        )
        assert signed.status_code == 303, signed.text
        ids = await _report_ids()

        async def review(number: int, path: str, form: dict[str, str]) -> int:
            url = f"{urls[number % len(urls)]}/organisers/reports/{path}"
            return (await post_form(reviewer, url, form)).status_code

        changes = [review(n, f"{ids[n]}/state", {"state": "rejected"}) for n in range(REJECTED)] + [
            review(n, f"{ids[REJECTED + n]}/merge", {"into": ids[REJECTED + MERGED + n]})
            for n in range(MERGED)
        ]
        results = await asyncio.gather(_submit_all(workers, urls, SECOND_WAVE), *changes)
        second, reviewed = results[0], list(results[1:])
    return first + second, reviewed


def test_counts_stay_exact_under_concurrent_reports_and_reviews(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url)
    try:
        first.create_organiser("robin", role="reviewer")
        first.start()
        second.start()
        submitted, reviewed = asyncio.run(_race([first.url, second.url]))
        recount = first.run_cli("recount")
    finally:
        first.stop()
        second.stop()
    try:
        assert submitted == [201] * (FIRST_WAVE + SECOND_WAVE)
        assert reviewed == [303] * (REJECTED + MERGED)
        # Nothing drifted: a full recount finds every maintained count already right...
        assert recount.returncode == 0, recount.stderr
        assert "They were already right." in recount.stdout
        # ...and the reports that count are the ones neither rejected nor merged away.
        expected = FIRST_WAVE + SECOND_WAVE - REJECTED - MERGED
        assert asyncio.run(_counted_in_tally()) == expected
        assert "Traceback" not in first.output() + second.output()
    finally:
        asyncio.run(truncate_postgres(database_url))
