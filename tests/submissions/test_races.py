"""One token or key sent twice at the same moment, to two server processes: exactly one record
and one report or pledge, and both answers show the same receipt. Only meaningful on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from crypto import codes
from tests.conftest import RACE_MARKS, count_postgres_rows, truncate_postgres
from tests.reports.helpers import report_json
from tests.servers import racing_servers, running, twice_at_once
from tests.support import post_form

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

PAIRS = 12
RECEIPT = re.compile(r'<code class="secret" id="receipt">([a-z-]+)</code>')


def test_one_idempotency_key_twice_at_once_files_one_report(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url)
    keys = [codes.new_token() for _ in range(PAIRS)]

    async def send(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
        body = report_json(agency=f"Agency {number}")
        headers = {"Idempotency-Key": keys[number]}
        return await client.post(f"{url}/api/v1/reports", json=body, headers=headers)

    with running(first, second) as urls:
        answers = asyncio.run(twice_at_once(urls, send, PAIRS))
    reports = asyncio.run(count_postgres_rows("report"))
    records = asyncio.run(count_postgres_rows("submission"))
    try:
        for one, other in answers:
            assert (one.status_code, other.status_code) == (201, 201), one.text + other.text
            assert one.json()["receipt"] == other.json()["receipt"]
        assert len({one.json()["receipt"] for one, _other in answers}) == PAIRS
        assert reports == PAIRS
        assert records == PAIRS
        assert "Traceback" not in first.output() + second.output()
    finally:
        asyncio.run(truncate_postgres(database_url))


@pytest.mark.parametrize("mode", ["open", "invite"])
def test_one_form_token_twice_at_once_signs_one_pledge(database_url, tmp_path, mode):
    first, second = racing_servers(tmp_path / "shared", database_url)
    deadline = (datetime.now(UTC) + timedelta(days=30)).isoformat(timespec="minutes")
    tokens = [codes.new_token() for _ in range(PAIRS)]
    owner = first.campaign_owner()
    created = first.run_cli(
        "campaign", "create", "--slug", "race", "--title", "Race", "--demand", "x",
        "--threshold", str(4 * PAIRS), "--deadline", deadline, "--owner", owner,
        "--invite-mode", mode,
    )  # fmt: skip
    assert created.returncode == 0, created.stderr
    invite_codes = [""] * PAIRS
    if mode == "invite":
        made = first.run_cli(
            "campaign", "invites", "race", "--count", str(PAIRS), "--organiser", owner
        )
        assert made.returncode == 0, made.stderr
        invite_codes = made.stdout.split()
    assert len(invite_codes) == PAIRS

    async def send(client: httpx.AsyncClient, url: str, number: int) -> httpx.Response:
        form = {"name": f"Signer {number}", "invite_code": invite_codes[number]}
        address = f"{url}/campaigns/race/sign?t={tokens[number]}"
        return await post_form(client, address, form)

    with running(first, second) as urls:
        answers = asyncio.run(twice_at_once(urls, send, PAIRS))
    pledges = asyncio.run(count_postgres_rows("campaign_pledge"))
    records = asyncio.run(count_postgres_rows("submission"))
    try:
        for one, other in answers:
            assert (one.status_code, other.status_code) == (200, 200), one.text + other.text
            assert RECEIPT.findall(one.text) == RECEIPT.findall(other.text)
            assert len(RECEIPT.findall(one.text)) == 1
        assert pledges == PAIRS
        assert records == PAIRS
        assert "Traceback" not in first.output() + second.output()
    finally:
        asyncio.run(truncate_postgres(database_url))
