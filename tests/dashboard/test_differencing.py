"""No answer, and no difference of two answers, gives away the small employer's count.

The data set (tests/dashboard/data.py) has one employer, Xylo, with 3 counted reports among
employers with many. Every `by` is asked under every combination of the filters (employer,
technology, country, period) through the JSON API, for reports (an organiser's token) and for
published contracts (public). For each number shown we know exactly which reports it counts,
so the check is on sets, not on luck:

- a shown number that counts only Xylo's reports singles them out;
- two shown numbers whose sets are nested and differ only by some of Xylo's reports single
  those out by subtraction.

Numbers "shown" include each visible row and, for dimensions where each report has one value,
the sum of the visible rows of a table (anyone can add them up). The checker is proved able
to fail: with complementary suppression turned off it finds a leak.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable

import httpx
import pytest

from organise.contracts import taxonomy
from organise.dashboard import aggregates
from tests.dashboard.data import ITEMS, TARGET, Item, load_contracts, load_reports
from tests.support import api_token_headers

BYS = aggregates.DIMENSIONS
SINGLE_VALUED = {"employer", "agency_type", "country", "status", "month"}
EMPLOYER_FILTERS = ("", TARGET, "Corvid", "Acme")
TECHNOLOGY_FILTERS = ("", "face-recognition", "drones-robots")
COUNTRY_FILTERS = ("", "US", "DE")
PERIODS = (
    ("", ""),
    ("2024-01", "2024-03"),
    ("2024-03", "2024-03"),
    ("2024-04", "2024-06"),
    ("2024-03", "2024-05"),
    ("2024-01", "2024-06"),
)
GROUP_OF = {term.slug: term.group for term in taxonomy.taxonomy().terms["technologies"]}


def filter_combinations(employer_key: dict[str, str]) -> list[dict[str, str]]:
    combos = []
    for employer, technology, country, (start, end) in itertools.product(
        EMPLOYER_FILTERS, TECHNOLOGY_FILTERS, COUNTRY_FILTERS, PERIODS
    ):
        params = {
            "employer": employer_key.get(employer, ""),
            "technology": technology,
            "country": country,
            "from": start,
            "to": end,
        }
        combos.append({name: value for name, value in params.items() if value})
    return combos


def values_of(item: Item, by: str, employer_key: dict[str, str]) -> set[str]:
    if by == "employer":
        return {employer_key[item.employer]}
    if by == "technology":
        return set(item.technologies)
    if by == "technology_group":
        return {GROUP_OF[slug] for slug in item.technologies}
    return {getattr(item, by)}


def matches(item: Item, params: dict[str, str], employer_key: dict[str, str]) -> bool:
    return (
        ("employer" not in params or employer_key[item.employer] == params["employer"])
        and ("technology" not in params or params["technology"] in item.technologies)
        and ("country" not in params or item.country == params["country"])
        and ("from" not in params or item.month >= params["from"])
        and ("to" not in params or item.month <= params["to"])
    )


def shown_numbers(
    by: str, params: dict[str, str], body: dict, employer_key: dict[str, str]
) -> list[tuple[int, frozenset[str]]]:
    """Every number this answer shows or lets anyone add up, with the reports it counts."""
    found = [item for item in ITEMS if matches(item, params, employer_key)]
    numbers = []
    visible: set[str] = set()
    for row in body["rows"]:
        members = frozenset(
            item.id for item in found if row["key"] in values_of(item, by, employer_key)
        )
        if row["suppressed"]:
            assert row["count"] is None
            continue
        assert row["count"] == len(members), (by, params, row)
        numbers.append((row["count"], members))
        visible |= members
    if by in SINGLE_VALUED and body["rows"]:
        numbers.append((len(visible), frozenset(visible)))
    return numbers


def leaks(numbers: Iterable[tuple[int, frozenset[str]]], target: frozenset[str]) -> list[str]:
    """Shown numbers, or differences of two shown numbers, that count only target reports.

    If set B is inside set A and A minus B holds only target reports, then A and B leave the
    same set once the target is taken out: group by that, and look for nested target parts.
    The empty set (count 0) is always known.
    """
    groups: dict[frozenset[str], set[frozenset[str]]] = defaultdict(set)
    groups[frozenset()].add(frozenset())
    for _count, members in numbers:
        groups[members - target].add(members & target)
    found = []
    for rest, parts in groups.items():
        for small, large in itertools.permutations(parts, 2):
            if small < large:
                found.append(
                    f"{len(large - small)} of {TARGET}'s items isolated "
                    f"(other items in both: {len(rest)})"
                )
    return found


async def collect(
    client: httpx.AsyncClient, path: str, headers: dict[str, str], employer_key: dict[str, str]
) -> list[tuple[int, frozenset[str]]]:
    numbers: list[tuple[int, frozenset[str]]] = []
    for params in filter_combinations(employer_key):
        for by in BYS:
            response = await client.get(path, params={"by": by, **params}, headers=headers)
            assert response.status_code == 200, response.text
            body = response.json()
            assert body["by"] == by
            assert body["k"] == 5
            for row in body["rows"]:
                if row["key"] == employer_key[TARGET]:
                    assert row["suppressed"], (by, params, row)
                    assert row["count"] is None
            numbers.extend(shown_numbers(by, params, body, employer_key))
    return numbers


TARGET_IDS = frozenset(item.id for item in ITEMS if item.employer == TARGET)
REPORT_KEYS = {name: name for name in {item.employer for item in ITEMS}}
CONTRACT_KEYS = {name: name.lower() for name in {item.employer for item in ITEMS}}


def primary_only(counts: dict[str, int], k: int = 5, *, hidden: Iterable[str] = ()) -> set[str]:
    return {key for key, count in counts.items() if 0 < count < k} | set(hidden)


async def test_no_report_answer_singles_out_the_small_employer(app, client):
    await load_reports()
    headers = await api_token_headers(app)
    numbers = await collect(client, "/api/v1/aggregates/reports", headers, REPORT_KEYS)
    assert len(numbers) > 300  # the answers really show numbers
    assert all(count != 3 or not members <= TARGET_IDS for count, members in numbers)
    assert leaks(numbers, TARGET_IDS) == []


async def test_no_public_contract_answer_singles_out_the_small_employer(client):
    await load_contracts()
    numbers = await collect(client, "/api/v1/aggregates/contracts", {}, CONTRACT_KEYS)
    assert len(numbers) > 300
    assert leaks(numbers, TARGET_IDS) == []


async def test_the_check_finds_a_leak_without_complementary_suppression(
    app, client, monkeypatch: pytest.MonkeyPatch
):
    """Xylo is the only employer reporting on prisons: by kind of agency, its cell is 3."""
    monkeypatch.setattr(aggregates, "cells_to_suppress", primary_only)
    await load_reports()
    headers = await api_token_headers(app)
    numbers = []
    for by in ("agency_type", "status"):
        response = await client.get(
            "/api/v1/aggregates/reports", params={"by": by}, headers=headers
        )
        numbers.extend(shown_numbers(by, {}, response.json(), REPORT_KEYS))
    assert leaks(numbers, TARGET_IDS) == [
        f"3 of {TARGET}'s items isolated (other items in both: 77)"
    ]
