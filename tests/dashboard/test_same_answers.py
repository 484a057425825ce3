"""The fast ways of answering give exactly the answers of the plain one.

Under an employer filter the dashboard counts that employer's reports in one pass for every
version of a table the rules compare, and decides the employer gate from a few rows looked
up by key instead of the whole by-employer table (organise/dashboard/aggregates.py). Both
must show the same numbers and hide the same cells as grouping the report table for every
table and computing every by-employer table whole: a faster view must never show a count
the plain one hides.
"""

from __future__ import annotations

import dataclasses
import itertools

import pytest

from organise.dashboard.aggregates import DIMENSIONS, REPORTS, Aggregator, Filters
from tests.dashboard.data import load_reports
from tests.dashboard.test_differencing import (
    COUNTRY_FILTERS,
    EMPLOYER_FILTERS,
    PERIODS,
    TECHNOLOGY_FILTERS,
)

PLAIN = dataclasses.replace(REPORTS, tallied=False)  # the report table, grouped each time


@pytest.mark.parametrize("k", [5, 13])
async def test_every_answer_equals_the_plain_one(client, monkeypatch, k):
    await load_reports()
    decided = []
    employer_row = Aggregator._employer_row

    async def watched(self: Aggregator, filters: Filters, employer: str) -> tuple[bool, object]:
        found = await employer_row(self, filters, employer)
        decided.append(found[0])
        return found

    monkeypatch.setattr(Aggregator, "_employer_row", watched)
    plain = Aggregator(PLAIN, k=k)
    for employer, technology, country, (start, end) in itertools.product(
        (*EMPLOYER_FILTERS, "Nobody"), TECHNOLOGY_FILTERS, COUNTRY_FILTERS, PERIODS
    ):
        filters = Filters(employer, technology, country, start, end)
        for by in DIMENSIONS:
            # A new one each time, so no by-employer table is at hand from an earlier answer.
            fast = await Aggregator(REPORTS, k=k).answer(by, filters)
            assert fast == await plain.answer(by, filters), (by, filters)
    # The gate was decided from a few rows, and left to the whole table, both many times.
    assert decided.count(True) > 50
    assert decided.count(False) > 10


async def test_one_aggregator_asked_many_different_views_answers_each_as_the_plain_one(client):
    """What one request reads (an employer's rows, the rows its gate looks up) is kept for the
    filters that request asked first; other filters asked later are answered as they should."""
    await load_reports()
    fast, plain = Aggregator(REPORTS, k=5), Aggregator(PLAIN, k=5)
    for employer, technology, country, (start, end) in itertools.product(
        EMPLOYER_FILTERS, TECHNOLOGY_FILTERS, COUNTRY_FILTERS, PERIODS
    ):
        filters = Filters(employer, technology, country, start, end)
        for by in DIMENSIONS:
            assert await fast.answer(by, filters) == await plain.answer(by, filters), (by, filters)
    # Open-ended periods too (the gate's shortcut does not list their months).
    for by in DIMENSIONS:
        for filters in (Filters("Acme", period_from="2024-03"), Filters(period_to="2024-02")):
            assert await fast.answer(by, filters) == await plain.answer(by, filters)
