"""Threshold race, property-based: varied thresholds, signature counts and personal thresholds,
signed all at once across two server processes on PostgreSQL.

For every example: each signature is answered 201; count = rows = answers; the campaign is in
cooling-off exactly when the revealable set reaches the threshold, and the crossing is recorded
exactly once (never twice, never without the state change).
"""

from __future__ import annotations

import asyncio
import itertools

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import POSTGRES_URL, RACE_MARKS, connect_postgres, truncate_postgres
from tests.reliability import drill
from tests.servers import racing_servers

pytestmark = [*RACE_MARKS, pytest.mark.timeout(300)]

_slugs = itertools.count()


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory, database_url):
    first, second = racing_servers(tmp_path_factory.mktemp("race"), POSTGRES_URL)
    first.start()
    second.start()
    try:
        yield first, second
    finally:
        first.stop()
        second.stop()
        asyncio.run(truncate_postgres(POSTGRES_URL))
    assert "Traceback" not in first.output()


def reaches(threshold: int, personal: list[int | None]) -> bool:
    """The revealable set: the largest t with at least t pledges whose own threshold is <= t."""
    wanted = sorted(threshold if p is None else p for p in personal)
    return any(t >= threshold and sum(w <= t for w in wanted) >= t for t in set(wanted))


async def _sign(urls: list[str], slug: str, codes: list[str], personal: list[int | None]):
    limits = httpx.Limits(max_connections=len(codes) + 1, max_keepalive_connections=0)
    async with httpx.AsyncClient(timeout=120, limits=limits) as client:

        async def one(number: int) -> int:
            body: dict[str, object] = {"invite_code": codes[number], "name": f"Racer {number}"}
            if personal[number] is not None:
                body["personal_threshold"] = personal[number]
            url = f"{urls[number % 2]}/api/v1/campaigns/{slug}/pledges"
            return (await client.post(url, json=body)).status_code

        return await asyncio.gather(*(one(n) for n in range(len(codes))))


async def _events(slug: str) -> dict[str, int]:
    connection = await connect_postgres()
    try:
        rows = await connection.fetch(
            "SELECT kind, count(*) AS n FROM campaign_event e JOIN campaign c"
            " ON c.id = e.campaign_id WHERE c.slug = $1 GROUP BY kind",
            slug,
        )
        return {row["kind"]: row["n"] for row in rows}
    finally:
        await connection.close()


@st.composite
def examples(draw: st.DrawFn) -> tuple[int, list[int | None]]:
    threshold = draw(st.integers(min_value=2, max_value=12))
    signatures = draw(st.integers(min_value=threshold - 1, max_value=threshold + 14))
    personal = draw(
        st.lists(
            st.one_of(st.none(), st.integers(min_value=threshold, max_value=threshold + 6)),
            min_size=signatures,
            max_size=signatures,
        )
    )
    return threshold, personal


@settings(
    max_examples=8,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(example=examples())
def test_threshold_crossing_is_recorded_once_under_any_concurrency(two_servers, example):
    threshold, personal = example
    first, second = two_servers
    slug = f"race{next(_slugs)}"
    first.create_campaign(slug, threshold=threshold)  # 48 h cooling-off: no reveal here
    codes = first.invite_codes(slug, len(personal)) if personal else []

    statuses = asyncio.run(_sign([first.url, second.url], slug, codes, personal))

    assert statuses == [201] * len(personal)
    row = drill.campaign_row(slug, first)
    assert row["pledge_count"] == row["rows"] == len(personal)
    events = asyncio.run(_events(slug))
    expected = reaches(threshold, personal)
    assert row["state"] == ("cooling_off" if expected else "open")
    assert events.get("threshold_reached", 0) == (1 if expected else 0)
    assert events["created"] == 1
