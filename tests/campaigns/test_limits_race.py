"""A flood of wrong invite codes and receipts, at once with the right ones, on two server
processes and PostgreSQL: every right code signs, every right receipt is answered and every
withdrawal goes through, while the flood meets 429s. Only meaningful on PostgreSQL.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from crypto import codes as secrets
from tests.campaigns.conftest import campaign_counts
from tests.conftest import RACE_MARKS, truncate_postgres
from tests.servers import racing_servers

pytestmark = [*RACE_MARKS, pytest.mark.timeout(240)]

RIGHT = 20
WRONG = 120  # per kind; each process tolerates 10 failures an hour per endpoint here


async def _post_all(
    urls: list[str], path: str, bodies: list[dict[str, str]]
) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=100, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:
        return list(
            await asyncio.gather(
                *(
                    client.post(f"{urls[number % len(urls)]}{path}", json=body)
                    for number, body in enumerate(bodies)
                )
            )
        )


def _flood(
    urls: list[str], path: str, right: list[dict[str, str]], wrong: list[dict[str, str]]
) -> tuple[list[httpx.Response], set[int]]:
    """The right requests and the wrong ones, shuffled and all at once, across the servers:
    the answers to the right ones (in order), and the statuses the wrong ones got."""
    bodies = [*right, *wrong]
    random.Random(7).shuffle(bodies)
    answers = asyncio.run(_post_all(urls, path, bodies))
    by_body = {id(body): answer for body, answer in zip(bodies, answers, strict=True)}
    return [by_body[id(body)] for body in right], {by_body[id(body)].status_code for body in wrong}


def test_right_codes_and_receipts_go_through_a_flood_of_wrong_ones(database_url, tmp_path):
    first, second = racing_servers(tmp_path / "shared", database_url, ORGANISE_RATE_LIMIT="10/hour")
    try:
        first.create_campaign("flood", threshold=100, title="Flood", demand="x", days=1)
        codes = first.invite_codes("flood", RIGHT)
        assert len(codes) == RIGHT
        first.start()
        second.start()
        urls = [first.url, second.url]

        signed, refused = _flood(
            urls,
            "/api/v1/campaigns/flood/pledges",
            [{"invite_code": code, "name": f"Worker {n}"} for n, code in enumerate(codes)],
            [{"invite_code": secrets.new_invite_code(), "name": "Mallory"} for _ in range(WRONG)],
        )
        assert [answer.status_code for answer in signed] == [201] * RIGHT
        assert refused == {403, 429}
        receipts = [answer.json()["receipt"] for answer in signed]

        looked_up, refused = _flood(
            urls,
            "/api/v1/pledges/status",
            [{"receipt": receipt} for receipt in receipts],
            [{"receipt": secrets.new_receipt()} for _ in range(WRONG)],
        )
        assert [answer.status_code for answer in looked_up] == [200] * RIGHT
        assert {answer.json()["pledge"] for answer in looked_up} == {"sealed"}
        assert refused == {404, 429}

        leaving = receipts[: RIGHT // 2]
        withdrawn, refused = _flood(
            urls,
            "/api/v1/pledges/withdraw",
            [{"receipt": receipt} for receipt in leaving],
            [{"receipt": secrets.new_receipt()} for _ in range(WRONG)],
        )
        assert [answer.status_code for answer in withdrawn] == [200] * len(leaving)
        assert refused == {404, 429}
        counts = asyncio.run(campaign_counts("flood"))
    finally:
        first.stop()
        second.stop()
    assert counts["rows"] == RIGHT - len(leaving)
    assert counts["pledge_count"] == RIGHT - len(leaving)
    assert "Traceback" not in first.output()
    asyncio.run(truncate_postgres(database_url))
