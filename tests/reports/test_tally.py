"""The maintained report counts: kept right by every change, and the dashboard's numbers unchanged.

Two independent implementations are held to each other: the per-report cells added in the
transaction of each change, and `rebuild`'s GROUP BY statements. And every dashboard count
read from the tally equals the same count grouped straight from the report table.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import random
import uuid
from collections import Counter

import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from organise.contracts import taxonomy
from organise.dashboard.aggregates import DIMENSIONS, REPORTS, Aggregator, Filters
from organise.reports import tally
from organise.reports.models import Report, ReportTechnology, ReviewState
from tests.dashboard import data
from tests.reports.helpers import (
    assert_tally_right,
    kept_and_rebuilt,
    reviewer,
    set_state,
    submit,
    total_counted,
)
from tests.support import post_form

RAW = dataclasses.replace(REPORTS, tallied=False)


async def test_every_review_change_keeps_the_counts_right(client):
    await reviewer(client)
    await submit(client, employer="Acme", technologies=["face-recognition", "cloud-hosting"])
    await submit(client, employer="Acme", country="DE", technologies=["drones-robots"])
    await submit(client, employer="Borealis", country="", technologies=["cloud-hosting"])
    await submit(client, employer="Borealis", status="rumoured")
    await assert_tally_right()
    assert await total_counted() == 4

    first, second, third, fourth = sorted(await Report.all(), key=lambda r: str(r.id))
    steps = [
        (f"/organisers/reports/{first.id}/state", {"state": "rejected"}, 3),
        (f"/organisers/reports/{first.id}/state", {"state": "verified"}, 4),
        (f"/organisers/reports/{second.id}/merge", {"into": str(third.id)}, 3),
        (f"/organisers/reports/{fourth.id}/state", {"state": "corroborated"}, 3),
        (f"/organisers/reports/{third.id}/merge", {"into": str(fourth.id)}, 2),
        (f"/organisers/reports/{fourth.id}/state", {"state": "rejected"}, 1),
    ]
    for url, form, expected in steps:
        response = await post_form(client, url, form)
        assert response.status_code == 303, response.text
        await assert_tally_right()
        assert await total_counted() == expected
    # A refused change (the report was merged) leaves the counts as they were.
    refused = await set_state(client, second, "new")
    assert refused.status_code == 409
    await assert_tally_right()


async def test_a_rebuilt_table_is_exactly_the_maintained_one_and_recount_fixes_drift(client):
    await data.load_reports()
    kept, rebuilt = await kept_and_rebuilt()
    assert kept == rebuilt
    assert sum(n for cell, n in kept.items() if cell[:4] == ("status", "*", "*", "*")) == len(
        data.ITEMS
    )
    # Counts that drifted (a hand edit) are put right by a rebuild.
    connection = connections.get("default")
    await connection.execute_query("UPDATE report_tally SET reports = reports + 1")
    assert await tally.read_all(connection) != kept
    async with in_transaction() as transaction:
        await tally.rebuild(transaction)
    assert await tally.read_all(connection) == kept


async def test_recount_puts_right_only_the_cells_that_are_off(client):
    await data.load_reports()
    kept, _rebuilt = await kept_and_rebuilt()
    connection = connections.get("default")
    # Three cells off among many: one counted too high, one emptied, one that should not exist.
    first, second = sorted(cell for cell in kept if cell[0] == "employer")[:2]
    wrong = Counter({first: 2, second: -kept[second], ("status", "*", "*", "*", "unheard-of"): 1})
    await tally.apply(connection, wrong)
    assert await tally.read_all(connection) != kept
    async with in_transaction() as transaction:
        assert await tally.rebuild(transaction) == 3
    assert await tally.read_all(connection) == kept
    async with in_transaction() as transaction:
        assert await tally.rebuild(transaction) == 0
    assert await tally.read_all(connection) == kept


async def _random_reports(seed: int) -> None:
    """Reports in every shape the counts must handle (no country, no technology, merged...)."""
    rng = random.Random(seed)
    employers = ("Acme", "Borealis", "Corvid", "Xylo")
    stored: list[uuid.UUID] = []
    for _ in range(rng.randint(20, 60)):
        technologies = rng.sample(data.TECHNOLOGIES, rng.randint(0, 3))
        state = rng.choice([*ReviewState, ReviewState.NEW])
        merged_into = rng.choice(stored) if stored and rng.random() < 0.15 else None
        report_id = uuid.uuid4()
        async with in_transaction() as connection, tally.recounting(connection, [report_id]):
            await Report.create(
                id=report_id,
                receipt_hash=f"{rng.getrandbits(256):064x}",
                week=data.monday_in(rng.choice(data.MONTHS), rng),
                employer_name=rng.choice(employers),
                agency_type=rng.choice(data.AGENCIES),
                country=rng.choice((*data.COUNTRIES, "")),
                status=rng.choice(data.STATUSES),
                reporter_public_key=b"\x00" * 32,
                details_sealed=b"sealed",
                state=state,
                merged_into_id=merged_into,
                technologies=tally.technology_list(technologies),
            )
            await ReportTechnology.bulk_create(
                [ReportTechnology(report_id=report_id, technology=slug) for slug in technologies]
            )
        stored.append(report_id)


FILTER_CHOICES = Filters(
    technology="face-recognition", country="US", period_from="2024-02", period_to="2024-04"
)


def _filter_combinations() -> list[Filters]:
    combinations = []
    for names in itertools.chain.from_iterable(
        itertools.combinations(("technology", "country", "period"), size) for size in range(4)
    ):
        dropped = {"technology", "country", "period"} - set(names)
        combinations.append(FILTER_CHOICES.without(*dropped))
    # Open-ended periods, a single month, and a technology only some reports name.
    combinations += [
        Filters(period_from="2024-03"),
        Filters(period_to="2024-02", country="DE"),
        Filters(period_from="2024-05", period_to="2024-05", technology="drones-robots"),
        Filters(technology="cloud-hosting", country="FR"),
    ]
    # The same under an employer filter: one employer's reports, counted in one pass.
    return combinations + [dataclasses.replace(f, employer="Acme") for f in combinations]


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_tallied_counts_equal_counts_grouped_from_the_reports(client, seed):
    await _random_reports(seed)
    await assert_tally_right()
    tallied, grouped = Aggregator(REPORTS, k=5), Aggregator(RAW, k=5)
    compared = 0
    for by, filters in itertools.product(DIMENSIONS, _filter_combinations()):
        own = {
            "employer": "employer",
            "technology": "technology",
            "country": "country",
            "month": "period",
        }.get(by)
        if own in filters.active():
            continue  # answered from the unfiltered table (rule 6), never counted this way
        assert await tallied.counts(by, filters) == await grouped.counts(by, filters), (
            by,
            filters,
        )
        # Rule 3 looks at each month inside the period.
        assert await tallied.months_under_k(by, filters) == await grouped.months_under_k(
            by, filters
        )
        assert await tallied.answer(by, filters) == await grouped.answer(by, filters)
        compared += 1
    assert compared > 110


# The counts store each report under its technologies' groups as they were when it was counted.
GROUPS_COUNTED_UNDER = "2b4dceaad746528c1ae6fafa957ddacc52e496fe8f3a50ffb3433879581239c2"


def test_moving_a_technology_to_another_group_comes_with_a_recount():
    pairs = sorted((term.slug, term.group) for term in taxonomy.taxonomy().terms["technologies"])
    assert hashlib.sha256(repr(pairs).encode()).hexdigest() == GROUPS_COUNTED_UNDER, (
        "taxonomy.json's technology groups changed. If an existing technology moved to another "
        "group, add a migration that runs organise.reports.tally.rebuild (as 0002_report_tally "
        "does), or the dashboard's group counts go stale; then update GROUPS_COUNTED_UNDER."
    )


async def test_recount_puts_right_each_reports_technology_list(client):
    await data.load_reports()
    listed = {
        str(report_id): technologies
        for report_id, technologies in await Report.all().values_list("id", "technologies")
    }
    assert {str(item.id): listed[str(item.id)] for item in data.ITEMS} == {
        str(item.id): tally.technology_list(item.technologies) for item in data.ITEMS
    }
    # Hand edits: one list wrong, one emptied, and one given to a report without technologies.
    named = [item for item in data.ITEMS if item.technologies]
    await Report.filter(id=named[0].id).update(technologies=",drones-robots,x,")
    await Report.filter(id=named[1].id).update(technologies="")
    unnamed = await Report.create(
        receipt_hash="f" * 64,
        week=data.monday_in("2024-01", random.Random(1)),
        employer_name="Acme",
        status="rumoured",
        reporter_public_key=b"\x00" * 32,
        details_sealed=b"sealed",
        technologies=",cloud-hosting,",
    )
    async with in_transaction() as transaction:
        assert await tally.repair_technology_lists(transaction) == 3
    relisted = await Report.all().values_list("id", "technologies")
    assert {str(report_id): technologies for report_id, technologies in relisted} == {
        **listed,
        str(unnamed.id): "",
    }
    async with in_transaction() as transaction:
        assert await tally.repair_technology_lists(transaction) == 0
