"""A data set for the dashboard tests: one small employer among large ones.

"Xylo" has exactly 3 counted reports (plus a rejected one and one merged into another, which
must not count) and 3 published contracts; the other employers have many. Xylo's reports are
the only ones about prisons, and share months, countries and technologies with others.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import date

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from organise.contracts.models import Contract, ContractEmployer, ContractTechnology, Employer
from organise.reports import tally
from organise.reports.models import Report, ReportTechnology, ReviewState

TARGET = "Xylo"
MONTHS = ("2024-01", "2024-02", "2024-03", "2024-04", "2024-05", "2024-06")
EMPLOYERS = {"Acme": 40, "Borealis": 25, "Corvid": 12}
COUNTRIES = ("US", "US", "US", "DE", "FR")
TECHNOLOGIES = ("face-recognition", "licence-plate-readers", "cloud-hosting", "drones-robots")
STATUSES = ("rumoured", "known-internally", "public-record")
AGENCIES = ("police", "police", "sheriff", "immigration-border")


@dataclass(frozen=True)
class Item:
    """One counted report (or published contract), as the tests see it."""

    id: str
    employer: str
    agency_type: str
    country: str
    status: str
    month: str
    technologies: tuple[str, ...]


def monday_in(month: str, rng: random.Random) -> date:
    year, number = (int(part) for part in month.split("-"))
    first = date(year, number, 1)
    offset = (7 - first.weekday()) % 7  # the first Monday of the month
    return date.fromordinal(first.toordinal() + offset + 7 * rng.randrange(3))


def _items() -> list[Item]:
    rng = random.Random(20240611)
    items: list[Item] = []
    for employer, count in EMPLOYERS.items():
        for _ in range(count):
            technologies = tuple(sorted(set(rng.sample(TECHNOLOGIES, rng.randint(1, 2)))))
            items.append(
                Item(
                    id=str(uuid.UUID(int=rng.getrandbits(128))),
                    employer=employer,
                    agency_type=rng.choice(AGENCIES),
                    country=rng.choice(COUNTRIES),
                    status=rng.choice(STATUSES),
                    month=rng.choice(MONTHS),
                    technologies=technologies,
                )
            )
    for month, country, technologies in (
        ("2024-03", "DE", ("face-recognition",)),
        ("2024-03", "US", ("face-recognition", "drones-robots")),
        ("2024-05", "DE", ("cloud-hosting",)),
    ):
        items.append(
            Item(
                id=str(uuid.UUID(int=rng.getrandbits(128))),
                employer=TARGET,
                agency_type="prisons-probation",
                country=country,
                status="rumoured",
                month=month,
                technologies=technologies,
            )
        )
    return items


ITEMS = _items()


async def add_report(item: Item, rng: random.Random, **changes: object) -> Report:
    report_id = changes.pop("id", item.id)
    # Counted the way a submission is: in the same transaction, by the maintained counts.
    async with in_transaction() as connection, tally.recounting(connection, [report_id]):
        return await store(report_id, item, rng, **changes)


async def store_without_list(connection: BaseDBAsyncClient, item: Item, rng: random.Random) -> None:
    """An item's report and links written in plain SQL, as a schema from before reports kept
    their own technology list stored them."""
    postgres = connection.capabilities.dialect == "postgres"
    values: list[object] = [
        item.id if postgres else str(item.id),
        f"{rng.getrandbits(256):064x}",
        monday_in(item.month, rng) if postgres else monday_in(item.month, rng).isoformat(),
        item.employer,
        item.agency_type,
        item.country,
        item.status,
    ]
    marks = ", ".join(f"${n}" if postgres else "?" for n in range(1, len(values) + 1))
    blob = "'\\x00'::bytea" if postgres else "X'00'"
    await connection.execute_query(
        "INSERT INTO report (id, receipt_hash, week, employer_name, agency_type, country, status,"  # noqa: S608
        " agency_name, jurisdiction, product, value_range, currency, period_start, period_end,"
        " sources, relation, reporter_public_key, details_sealed, state)"
        f" VALUES ({marks}, '', '', '', '', '', '', '', '[]', '', {blob}, {blob}, 'new')",
        values,
    )
    for slug in item.technologies:
        link = [uuid.uuid4() if postgres else str(uuid.uuid4()), values[0], slug]
        await connection.execute_query(
            "INSERT INTO report_technology (id, report_id, technology) VALUES"
            + (" ($1, $2, $3)" if postgres else " (?, ?, ?)"),
            link,
        )


async def store(report_id: object, item: Item, rng: random.Random, **changes: object) -> Report:
    changes.setdefault("technologies", tally.technology_list(item.technologies))
    report = await Report.create(
        id=report_id,
        receipt_hash=f"{rng.getrandbits(256):064x}",
        week=monday_in(item.month, rng),
        employer_name=item.employer,
        agency_type=item.agency_type,
        country=item.country,
        status=item.status,
        reporter_public_key=b"\x00" * 32,
        details_sealed=b"sealed",
        **changes,
    )
    await ReportTechnology.bulk_create(
        [ReportTechnology(report_id=report.id, technology=slug) for slug in item.technologies]
    )
    return report


async def load_reports() -> None:
    rng = random.Random(7)
    for item in ITEMS:
        await add_report(item, rng)
    target = next(item for item in ITEMS if item.employer == TARGET)
    keeper = await Report.get(id=target.id)
    # Not counted: a rejected report and a duplicate merged into another.
    await add_report(target, rng, id=uuid.uuid4(), state=ReviewState.REJECTED)
    await add_report(target, rng, id=uuid.uuid4(), merged_into=keeper)


async def load_contracts() -> None:
    """One published contract per item (the same shape), employers linked by slug."""
    rng = random.Random(11)
    employers = {
        name: await Employer.create(name=name, slug=name.lower(), key=name.lower())
        for name in (*EMPLOYERS, TARGET)
    }
    for item in ITEMS:
        contract = await Contract.create(
            id=item.id,
            summary="A published record.",
            status=item.status,
            agency_name="An agency",
            agency_type=item.agency_type,
            country=item.country,
            origin="reports",
            published_week=monday_in(item.month, rng),
        )
        await ContractEmployer.create(contract=contract, employer=employers[item.employer])
        await ContractTechnology.bulk_create(
            [ContractTechnology(contract=contract, technology=slug) for slug in item.technologies]
        )
