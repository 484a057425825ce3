"""Maintained counts of reports, so the dashboard never groups the whole report table.

A report that counts (not rejected, not merged into another) adds one to a cell for each of
its values in each dimension, within each slice of the data it belongs to: every technology
it names or "*" (all reports), its country or "*", its month or "*". A reader then answers
"reports by employer, for technology T in country C over months M1..M2" by summing the rows
of one slice instead of scanning reports. Dimensions that a slice already fixes are left out
(by technology within technology T is one row of the unsliced table, see the dashboard's
rule 6). There is no employer slice (it would make the table about five times larger): one
employer's reports are counted straight from the report table, through an index holding
every column read.

Every change to what counts goes through here in the same transaction as the change itself:
`add` for a new report, `recounting` around a state change or a merge. The cells of one
change are written in one statement in a fixed order, so concurrent writers lock shared rows
in the same order and cannot deadlock. `rebuild` recomputes everything with GROUP BY
statements, a second, independent implementation the tests hold the first one to.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date
from functools import cache
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from organise.contracts import taxonomy
from organise.reports.models import Report, ReportTechnology, ReviewState

ANY = "*"  # the slice of all reports (never a technology slug, country code or month)
TABLE = "report_tally"
DIMENSIONS = (
    "employer",
    "agency_type",
    "technology",
    "technology_group",
    "country",
    "status",
    "month",
)
# Reports that count: every state but rejected (and not merged into another report).
COUNTED_STATES = tuple(
    state.value
    for state in (
        ReviewState.NEW,
        ReviewState.CORROBORATED,
        ReviewState.VERIFIED,
        ReviewState.PUBLISHED,
    )
)
# (dimension, technology slice, country slice, month slice, value)
Cell = tuple[str, str, str, str, str]
_BATCH = 400  # cells per statement: 2,400 parameters, within SQLite's (3.32+) and asyncpg's limits


@dataclass(frozen=True)
class CountedReport:
    employer: str
    agency_type: str
    country: str
    status: str
    month: str  # YYYY-MM
    technologies: tuple[str, ...]


def month_of(week: date | str) -> str:
    return (week.isoformat() if isinstance(week, date) else str(week))[:7]


@cache
def _groups() -> dict[str, str]:
    return {term.slug: term.group for term in taxonomy.taxonomy().terms["technologies"]}


def technology_group(slug: str) -> str:
    return _groups().get(slug, "")


def cells(report: CountedReport) -> Counter[Cell]:
    """The cells one counted report adds one to."""
    values = {
        "employer": [report.employer],
        "agency_type": [report.agency_type],
        "technology": list(report.technologies),
        "technology_group": sorted({technology_group(t) for t in report.technologies}),
        "country": [report.country],
        "status": [report.status],
        "month": [report.month],
    }
    # A slice fixes its own dimension, so that dimension is only kept in the "*" slice.
    sliced_by = {"technology": 1, "country": 2, "month": 3}
    countries = (ANY, report.country) if report.country else (ANY,)
    found: Counter[Cell] = Counter()
    for slice_ in itertools.product((ANY, *report.technologies), countries, (ANY, report.month)):
        for dimension, keys in values.items():
            position = sliced_by.get(dimension)
            if position is not None and slice_[position - 1] != ANY:
                continue
            for key in keys:
                found[(dimension, *slice_, key)] += 1
    return found


async def _counted(connection: BaseDBAsyncClient, report_ids: Iterable[UUID]) -> Counter[Cell]:
    """The cells the given reports add to as the database holds them now."""
    ids = list(report_ids)
    rows = (
        await Report.filter(id__in=ids, merged_into_id__isnull=True, state__in=list(COUNTED_STATES))
        .using_db(connection)
        .values("id", "employer_name", "agency_type", "country", "status", "week")
    )
    links = (
        await ReportTechnology.filter(report_id__in=[row["id"] for row in rows])
        .using_db(connection)
        .values_list("report_id", "technology")
    )
    technologies: dict[UUID, list[str]] = {}
    for report_id, slug in links:
        technologies.setdefault(report_id, []).append(slug)
    total: Counter[Cell] = Counter()
    for row in rows:
        total.update(
            cells(
                CountedReport(
                    employer=row["employer_name"],
                    agency_type=row["agency_type"],
                    country=row["country"],
                    status=row["status"],
                    month=month_of(row["week"]),
                    technologies=tuple(sorted(technologies.get(row["id"], []))),
                )
            )
        )
    return total


def _dialect(connection: BaseDBAsyncClient) -> str:
    return "postgres" if connection.capabilities.dialect == "postgres" else "sqlite"


async def apply(connection: BaseDBAsyncClient, delta: Counter[Cell]) -> None:
    """Add `delta` to the cells, creating the ones that do not exist yet."""
    changes = sorted((cell, n) for cell, n in delta.items() if n)
    postgres = _dialect(connection) == "postgres"
    for start in range(0, len(changes), _BATCH):
        batch = changes[start : start + _BATCH]
        values: list[Any] = []
        rows = []
        for cell, n in batch:
            placeholders = []
            for value in (*cell, n):
                values.append(value)
                placeholders.append(f"${len(values)}" if postgres else "?")
            rows.append(f"({', '.join(placeholders)})")
        # Only our own constants are interpolated; every value is a bound parameter.
        sql = (
            f"INSERT INTO {TABLE} (dimension, technology, country, month, value, reports)"  # noqa: S608
            f" VALUES {', '.join(rows)}"
            " ON CONFLICT (dimension, technology, country, month, value)"
            f" DO UPDATE SET reports = {TABLE}.reports + excluded.reports"
        )
        await connection.execute_query(sql, values)


async def add(connection: BaseDBAsyncClient, report: CountedReport) -> None:
    """Count a report just stored (in the transaction that stores it)."""
    await apply(connection, cells(report))


@asynccontextmanager
async def recounting(
    connection: BaseDBAsyncClient, report_ids: Iterable[UUID]
) -> AsyncIterator[None]:
    """Bring the counts along with whatever the block changes about these reports.

    Use inside the block's transaction, with the reports already locked, so the reading
    before and the reading after see the only change made to them.
    """
    ids = list(report_ids)
    before = await _counted(connection, ids)
    yield
    delta = await _counted(connection, ids)
    delta.subtract(before)
    await apply(connection, delta)


# -- rebuilding from scratch ------------------------------------------------------------------


def _month_sql(dialect: str) -> str:
    return "to_char(r.week, 'YYYY-MM')" if dialect == "postgres" else "substr(r.week, 1, 7)"


def _rebuild_statements(dialect: str) -> list[tuple[str, list[Any]]]:
    """One INSERT ... SELECT ... GROUP BY per (slice kind, dimension)."""
    counted = ", ".join(f"'{state}'" for state in COUNTED_STATES)
    month = _month_sql(dialect)
    statements = []
    for by_technology, by_country, by_month in itertools.product((False, True), repeat=3):
        for dimension in DIMENSIONS:
            if (
                (dimension == "technology" and by_technology)
                or (dimension == "country" and by_country)
                or (dimension == "month" and by_month)
            ):
                continue
            values: list[Any] = []

            def bind(value: Any, values: list[Any] = values) -> str:
                values.append(value)
                return f"${len(values)}" if dialect == "postgres" else "?"

            joins = ""
            conditions = ["r.merged_into_id IS NULL", f"r.state IN ({counted})"]
            if by_technology:
                joins += " JOIN report_technology st ON st.report_id = r.id"
            if by_country:
                conditions.append("r.country <> ''")
            count = "COUNT(*)"
            if dimension in {"technology", "technology_group"}:
                joins += " JOIN report_technology dt ON dt.report_id = r.id"
            if dimension == "technology_group":
                cases = " ".join(
                    f"WHEN {bind(term.slug)} THEN {bind(term.group)}"
                    for term in taxonomy.taxonomy().terms["technologies"]
                )
                value = f"CASE dt.technology {cases} ELSE '' END"
                count = "COUNT(DISTINCT r.id)"
            else:
                value = {
                    "employer": "r.employer_name",
                    "agency_type": "r.agency_type",
                    "technology": "dt.technology",
                    "country": "r.country",
                    "status": "r.status",
                    "month": month,
                }[dimension]
            columns = [
                "st.technology" if by_technology else f"'{ANY}'",
                "r.country" if by_country else f"'{ANY}'",
                month if by_month else f"'{ANY}'",
                value,
            ]
            grouped = ", ".join(
                str(position)
                for position, column in enumerate(columns, start=2)
                if column != f"'{ANY}'"
            )
            sql = (
                f"INSERT INTO {TABLE} (dimension, technology, country, month, value, reports)"  # noqa: S608
                f" SELECT '{dimension}', {', '.join(columns)}, {count}"
                f" FROM report r{joins} WHERE {' AND '.join(conditions)} GROUP BY {grouped}"
            )
            statements.append((sql, values))
    return statements


_COLUMNS = "dimension, technology, country, month, value, reports"
_BEFORE = "report_tally_before_recount"


async def rebuild(connection: BaseDBAsyncClient) -> int:
    """Recount every report from scratch (run inside a transaction); how many cells were off.

    The comparison with the counts as they were is done in SQL, on a temporary copy, so a
    million reports' cells never pass through Python. Writers wait until it commits: on
    PostgreSQL the table is locked against their upserts first (otherwise a report counted
    mid-way could collide with the refill, or deadlock with the delete); SQLite's single
    writer makes them wait anyway.
    """
    if _dialect(connection) == "postgres":
        await connection.execute_query(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
    # Only our own constants are interpolated below.
    await connection.execute_query(f"DROP TABLE IF EXISTS {_BEFORE}")
    await connection.execute_query(
        f"CREATE TEMPORARY TABLE {_BEFORE} AS"  # noqa: S608
        f" SELECT {_COLUMNS} FROM {TABLE} WHERE reports <> 0"
    )
    await connection.execute_query(f"DELETE FROM {TABLE}")  # noqa: S608
    for sql, values in _rebuild_statements(_dialect(connection)):
        await connection.execute_query(sql, values)
    off = 0
    for first, second in ((_BEFORE, TABLE), (TABLE, _BEFORE)):
        _rows, found = await connection.execute_query(
            f"SELECT COUNT(*) AS n FROM (SELECT {_COLUMNS} FROM {first}"  # noqa: S608
            f" EXCEPT SELECT {_COLUMNS} FROM {second}) AS differing"
        )
        off += int(found[0]["n"])
    await connection.execute_query(f"DROP TABLE {_BEFORE}")
    return off


async def cell_count(connection: BaseDBAsyncClient) -> int:
    _rows, found = await connection.execute_query(f"SELECT COUNT(*) AS n FROM {TABLE}")  # noqa: S608
    return int(found[0]["n"])


async def read_all(connection: BaseDBAsyncClient) -> Counter[Cell]:
    """Every non-empty cell (for checks and tests)."""
    _rows, found = await connection.execute_query(
        f"SELECT dimension, technology, country, month, value, reports FROM {TABLE}"  # noqa: S608
        " WHERE reports <> 0"
    )
    return Counter(
        {
            (row["dimension"], row["technology"], row["country"], row["month"], row["value"]): int(
                row["reports"]
            )
            for row in found
        }
    )
