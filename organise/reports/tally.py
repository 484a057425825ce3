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

# Scratch tables of one rebuild (temporary: private to its connection, gone at its end). Each
# holds what one kind of GROUP BY reads, already joined, so no counting statement joins.
_COUNTED = "tally_counted"  # one row per report that counts: its id, every column counted
_TECHNOLOGIES = "tally_technologies"  # one per (report, technology): technology + columns
_GROUPS = "tally_groups"  # one per (report, group of its technologies): grp + columns
_PAIRS = "tally_pairs"  # one per (report, technology, group): technology, grp, country, month
_FRESH = "tally_fresh"  # the cells as recounted
_OFF = "tally_off"  # the cells whose count is not right, with the right count
_SCRATCH = (_COUNTED, _TECHNOLOGIES, _GROUPS, _PAIRS, _FRESH, _OFF)
_COLUMNS = "dimension, technology, country, month, value, reports"
_KEY = "dimension, technology, country, month, value"
_REPORT_COLUMNS = "c.employer, c.agency_type, c.country, c.status, c.month"


def _month_sql(dialect: str) -> str:
    return "to_char(r.week, 'YYYY-MM')" if dialect == "postgres" else "substr(r.week, 1, 7)"


def _scratch_statements(dialect: str) -> list[tuple[str, list[Any]]]:
    """Copy the reports that count, once, into the narrow scratch tables the counting reads."""
    counted = ", ".join(f"'{state}'" for state in COUNTED_STATES)
    values: list[Any] = []
    cases = []
    for term in taxonomy.taxonomy().terms["technologies"]:
        values += [term.slug, term.group]
        pair = (len(values) - 1, len(values))
        cases.append(
            "WHEN {} THEN {}".format(*(f"${n}" if dialect == "postgres" else "?" for n in pair))
        )
    group = f"CASE t.technology {' '.join(cases)} ELSE '' END"
    # Only our own constants are interpolated; taxonomy values are bound parameters.
    return [
        (
            f"CREATE TEMPORARY TABLE {_COUNTED} AS"  # noqa: S608
            " SELECT r.id AS id, r.employer_name AS employer, r.agency_type AS agency_type,"
            f" r.country AS country, r.status AS status, {_month_sql(dialect)} AS month"
            f" FROM report r WHERE r.merged_into_id IS NULL AND r.state IN ({counted})",
            [],
        ),
        (
            f"CREATE TEMPORARY TABLE {_TECHNOLOGIES} AS"  # noqa: S608
            f" SELECT c.id AS id, t.technology AS technology, {_REPORT_COLUMNS}"
            f" FROM {_COUNTED} c JOIN report_technology t ON t.report_id = c.id",
            [],
        ),
        (
            f"CREATE TEMPORARY TABLE {_GROUPS} AS"  # noqa: S608
            f" SELECT c.id AS id, g.grp AS grp, {_REPORT_COLUMNS} FROM {_COUNTED} c JOIN"
            f" (SELECT DISTINCT t.id AS id, {group} AS grp FROM {_TECHNOLOGIES} t) g"
            " ON g.id = c.id",
            values,
        ),
        (
            f"CREATE TEMPORARY TABLE {_PAIRS} AS"  # noqa: S608
            " SELECT t.technology AS technology, g.grp AS grp, g.country AS country,"
            f" g.month AS month FROM {_TECHNOLOGIES} t JOIN {_GROUPS} g ON g.id = t.id",
            [],
        ),
        (f"CREATE TEMPORARY TABLE {_FRESH} AS SELECT {_COLUMNS} FROM {TABLE} WHERE 0 = 1", []),  # noqa: S608
    ]


def _rebuild_statements(dialect: str, target: str = _FRESH) -> list[str]:
    """INSERT ... SELECT ... GROUP BY statements that fill the fresh cells (into `target`).

    Each reads one scratch table: the reports (c), one row per technology (t), one per group
    (g), or one per technology and group (p, for groups within a technology's slice). For
    each dimension, with or without the technology slice, the country and month slices come
    from one scan with GROUPING SETS on PostgreSQL, and from one statement each on SQLite
    (which has no GROUPING SETS).
    """
    statements = []
    for by_technology in (False, True):
        for dimension in DIMENSIONS:
            if dimension == "technology" and by_technology:
                continue
            if dimension == "technology_group":
                source = _PAIRS if by_technology else _GROUPS
            elif dimension == "technology" or by_technology:
                source = _TECHNOLOGIES
            else:
                source = _COUNTED
            value = "c.grp" if dimension == "technology_group" else f"c.{dimension}"
            # A slice fixes its own dimension, so that dimension is only kept in the "*" slice.
            slices = [
                (by_country, by_month)
                for by_country, by_month in itertools.product((False, True), repeat=2)
                if not (dimension == "country" and by_country)
                and not (dimension == "month" and by_month)
            ]
            technology = "c.technology" if by_technology else f"'{ANY}'"
            insert = f"INSERT INTO {target} ({_COLUMNS}) SELECT '{dimension}', {technology}"
            if dialect == "postgres":
                sets = []
                for by_country, by_month in slices:
                    grouped = [
                        *(["c.technology"] if by_technology else []),
                        *(["c.country"] if by_country else []),
                        *(["c.month"] if by_month else []),
                        value,
                    ]
                    sets.append(f"({', '.join(grouped)})")
                country, month, having = f"'{ANY}'", f"'{ANY}'", ""
                if dimension != "country":
                    country = f"CASE WHEN GROUPING(c.country) = 0 THEN c.country ELSE '{ANY}' END"
                    # The country slices hold the reports that give a country.
                    having = " HAVING GROUPING(c.country) = 1 OR c.country <> ''"
                if dimension != "month":
                    month = f"CASE WHEN GROUPING(c.month) = 0 THEN c.month ELSE '{ANY}' END"
                statements.append(
                    f"{insert}, {country}, {month}, {value}, COUNT(*) FROM {source} c"
                    f" GROUP BY GROUPING SETS ({', '.join(sets)}){having}"
                )
                continue
            for by_country, by_month in slices:
                columns = [
                    technology,
                    "c.country" if by_country else f"'{ANY}'",
                    "c.month" if by_month else f"'{ANY}'",
                    value,
                ]
                positions = ", ".join(
                    str(position)
                    for position, column in enumerate(columns, start=2)
                    if column != f"'{ANY}'"
                )
                where = " WHERE c.country <> ''" if by_country else ""
                statements.append(
                    f"{insert}, {', '.join(columns[1:])}, COUNT(*)"
                    f" FROM {source} c{where} GROUP BY {positions}"
                )
    return statements


async def rebuild(connection: BaseDBAsyncClient) -> int:
    """Recount every report from scratch (run inside a transaction); how many cells were off.

    Set-based: the reports that count are copied once into narrow scratch tables, every cell
    is recounted from them with GROUP BY statements, and the fresh cells are compared with
    the table in SQL in one pass, so a million reports' cells never pass through Python.
    Only the cells that differ are written (none, when the counts were right), unless a
    quarter or more of them differ (a new or emptied table): then the table is refilled.
    Writers wait until it commits: on PostgreSQL the table is locked against their upserts
    first (a report counted mid-way would otherwise be missed or counted twice); SQLite's
    single writer makes them wait anyway. Readers go on reading the counts as they were,
    except during a refill on PostgreSQL.
    """
    dialect = _dialect(connection)
    if dialect == "postgres":
        await connection.execute_query(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        # Room to group and compare in memory (this transaction only).
        await connection.execute_query("SET LOCAL work_mem = '256MB'")
    # Only our own constants are interpolated below.
    for scratch in _SCRATCH:
        await connection.execute_query(f"DROP TABLE IF EXISTS {scratch}")
    for sql, values in _scratch_statements(dialect):
        await connection.execute_query(sql, values)
    _rows, found = await connection.execute_query(
        f"SELECT COUNT(*) AS n FROM (SELECT 1 FROM {TABLE} LIMIT 1) AS one"  # noqa: S608
    )
    if not int(found[0]["n"]):
        # A new or emptied table: every cell is missing, so the cells are counted straight
        # into it (no fresh copy to compare and copy over), its unique index built after.
        constraints = await _emptied(connection, dialect)
        for sql in _rebuild_statements(dialect, TABLE):
            await connection.execute_query(sql)
        await _indexed(connection, constraints)
        off = await cell_count(connection)
    else:
        for sql in _rebuild_statements(dialect):
            await connection.execute_query(sql)
        off = await _set_off_cells(connection, dialect)
    for scratch in _SCRATCH:
        await connection.execute_query(f"DROP TABLE IF EXISTS {scratch}")
    return off


async def _set_off_cells(connection: BaseDBAsyncClient, dialect: str) -> int:
    """Write the fresh cells that differ from the table's; how many did."""
    # One pass over both: the cells whose count differs, with the right count (0: none).
    # Each side holds a key once, so on PostgreSQL a hash join of the two does it (faster
    # than grouping both together: 4.6 s against 6.6 s for 3.5 million cells).
    if dialect == "postgres":
        compared = (
            f"SELECT {_KEY}, COALESCE(f.reports, 0) AS reports FROM {_FRESH} f"  # noqa: S608
            f" FULL JOIN (SELECT {_COLUMNS} FROM {TABLE} WHERE reports <> 0) AS t"
            f" USING ({_KEY}) WHERE f.reports IS DISTINCT FROM t.reports"
        )
    else:
        compared = (
            f"SELECT {_KEY}, SUM(fresh) AS reports"  # noqa: S608
            f" FROM (SELECT {_KEY}, reports AS fresh, 0 AS kept FROM {_FRESH}"
            f" UNION ALL SELECT {_KEY}, 0, reports FROM {TABLE} WHERE reports <> 0)"
            f" AS both_counts GROUP BY {_KEY} HAVING SUM(fresh) <> SUM(kept)"
        )
    await connection.execute_query(f"CREATE TEMPORARY TABLE {_OFF} AS {compared}")
    _rows, found = await connection.execute_query(f"SELECT COUNT(*) AS n FROM {_OFF}")  # noqa: S608
    off = int(found[0]["n"])
    if off and await _mostly_off(connection, off):
        await _refill(connection, dialect)
        return off
    # Cells that no longer hold anything go; the others are set to their right count.
    await connection.execute_query(
        f"DELETE FROM {TABLE} WHERE reports = 0 OR ({_KEY}) IN"  # noqa: S608
        f" (SELECT {_KEY} FROM {_OFF} WHERE reports = 0)"
    )
    await connection.execute_query(
        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_OFF}"  # noqa: S608
        f" WHERE reports <> 0 ON CONFLICT ({_KEY}) DO UPDATE SET reports = excluded.reports"
    )
    return off


async def _mostly_off(connection: BaseDBAsyncClient, off: int) -> bool:
    """Whether at least a quarter of the table's cells are to be written."""
    _rows, found = await connection.execute_query(f"SELECT COUNT(*) AS n FROM {TABLE}")  # noqa: S608
    return off * 4 >= int(found[0]["n"])


async def _refill(connection: BaseDBAsyncClient, dialect: str) -> None:
    """Replace every cell with the fresh ones."""
    constraints = await _emptied(connection, dialect)
    await connection.execute_query(
        f"INSERT INTO {TABLE} ({_COLUMNS}) SELECT {_COLUMNS} FROM {_FRESH}"  # noqa: S608
    )
    await _indexed(connection, constraints)


async def _emptied(connection: BaseDBAsyncClient, dialect: str) -> list[Any]:
    """Empty the table to be filled; on PostgreSQL also drop its unique index (returned).

    The unique index is built once after the rows are in (`_indexed`), instead of row by
    row: filling a few million cells through the index takes minutes, building it once
    about 25 s for 3.5 million (sorting five text columns is most of a refill's time).
    Dashboard reads wait meanwhile (the table is locked exclusively until the recount
    commits), as they would for a table being filled for the first time.
    """
    constraints: list[Any] = []
    if dialect == "postgres":
        await connection.execute_query(f"LOCK TABLE {TABLE} IN ACCESS EXCLUSIVE MODE")
        _rows, found = await connection.execute_query(
            "SELECT conname, pg_get_constraintdef(oid) AS definition FROM pg_constraint"
            " WHERE conrelid = $1::regclass AND contype = 'u'",
            [TABLE],
        )
        constraints = list(found)
        await connection.execute_query("SET LOCAL maintenance_work_mem = '256MB'")
    # DELETE, not TRUNCATE (2.3 s faster at 1,000,000 reports): TRUNCATE ignores snapshots, so
    # a backup (pg_dump) whose snapshot predates the commit would hold an empty table.
    await connection.execute_query(f"DELETE FROM {TABLE}")  # noqa: S608
    for row in constraints:  # our own table's constraint: its name and definition as stored
        await connection.execute_query(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{row["conname"]}"')
    return constraints


async def _indexed(connection: BaseDBAsyncClient, constraints: list[Any]) -> None:
    """Put back the unique index `_emptied` dropped, built once over every row."""
    for row in constraints:
        await connection.execute_query(
            f'ALTER TABLE {TABLE} ADD CONSTRAINT "{row["conname"]}" {row["definition"]}'
        )


# -- each report's technology list -------------------------------------------------------------


def technology_list(slugs: Iterable[str]) -> str:
    """A report's technologies as kept on its row: ",a,b," in slug order, "" for none.

    The commas on both sides let a reader test one technology with a plain substring search
    (slugs hold no commas).
    """
    ordered = sorted(set(slugs))
    return f",{','.join(ordered)}," if ordered else ""


def technologies_in(listed: str) -> list[str]:
    """The slugs of a list written by `technology_list`."""
    return [slug for slug in listed.split(",") if slug]


async def repair_technology_lists(connection: BaseDBAsyncClient) -> int:
    """Set every report's technology list from its link rows; how many were off.

    Written once with the report (its technologies never change), so this finds nothing
    unless reports were written outside the app (a restored backup, a hand edit).
    """
    if _dialect(connection) == "postgres":
        listed = (
            "SELECT report_id, ',' || string_agg(technology, ',' ORDER BY technology) || ','"
            " AS list FROM report_technology GROUP BY report_id"
        )
        statements = [
            f"UPDATE report r SET technologies = l.list FROM ({listed}) AS l"  # noqa: S608
            " WHERE l.report_id = r.id AND r.technologies <> l.list",
            "UPDATE report r SET technologies = '' WHERE r.technologies <> ''"
            " AND NOT EXISTS (SELECT 1 FROM report_technology t WHERE t.report_id = r.id)",
        ]
    else:
        # SQLite keeps the order of the sorted subquery in group_concat.
        listed = (
            "COALESCE((SELECT ',' || group_concat(technology, ',') || ','"
            " FROM (SELECT t.technology AS technology FROM report_technology t"
            " WHERE t.report_id = report.id ORDER BY t.technology)), '')"
        )
        statements = [f"UPDATE report SET technologies = {listed} WHERE technologies <> {listed}"]  # noqa: S608
    changed = 0
    for sql in statements:
        count, _rows = await connection.execute_query(sql)
        changed += int(count)
    return changed


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
