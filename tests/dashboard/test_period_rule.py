"""Two periods must never differ by a small month: rule 3 of the aggregates."""

from __future__ import annotations

import random
import uuid

from organise.dashboard.aggregates import REPORTS, Aggregator, Filters
from tests.dashboard import data


def _item(employer: str, month: str) -> data.Item:
    return data.Item(
        id=str(uuid.uuid4()),
        employer=employer,
        agency_type="police",
        country="US",
        status="rumoured",
        month=month,
        technologies=("face-recognition",),
    )


async def test_a_period_with_a_small_month_hides_the_row(client):
    rng = random.Random(5)
    for employer, month, count in (
        ("Acme", "2024-01", 10),
        ("Acme", "2024-02", 2),  # small: January+February minus January would count it
        ("Acme", "2024-03", 10),
        ("Borealis", "2024-01", 8),
        ("Borealis", "2024-02", 7),
        ("Borealis", "2024-03", 7),
        ("Corvid", "2024-01", 9),
        ("Corvid", "2024-02", 6),
        ("Corvid", "2024-03", 5),
    ):
        for _ in range(count):
            await data.add_report(_item(employer, month), rng)
    aggregator = Aggregator(REPORTS, k=5)
    january = await aggregator.answer(
        "employer", Filters(period_from="2024-01", period_to="2024-01")
    )
    assert {row.key: row.count for row in january.rows} == {"Acme": 10, "Borealis": 8, "Corvid": 9}
    both = await aggregator.answer("employer", Filters(period_from="2024-01", period_to="2024-02"))
    shown = {row.key: row.count for row in both.rows}
    assert shown["Acme"] is None  # 12 would give away February's 2
    assert shown["Corvid"] == 15
