"""Aggregate counts of reports (organisers) and of published contracts (the public).

Every answer is one table: a dimension (`by`) and its rows under some filters. Each row's
count goes through small-cell suppression, and the rules below keep two answers from being
subtracted to recover a hidden cell (docs/dashboard.md explains them for readers):

1. **Small cells**: a row with 0 < count < k is hidden.
2. **Relaxation check**: a row shown under filters F is hidden when removing any subset of
   F's filters adds between 1 and k-1 reports to that row, since "row without the filter"
   minus "row with it" would otherwise count those few reports.
3. **Period**: under a period filter a row is hidden when any month inside the period adds
   between 1 and k-1 reports to it, so two different periods never differ by a small month.
4. **Complementary suppression** (per table): once any row is hidden, the next-smallest rows
   are hidden too until at least two are and the hidden ones add up to k or more.
5. **Gates**: an answer filtered to employer E (or technology T, or country C) is withheld
   whole unless E's row is shown in the answer without that filter; a period filter needs
   every month in it to be shown in the by-month answer. So a row hidden in one table (for
   example a complementary cell) is never given away as the total of a filtered table.
6. **A filter on the dimension itself selects rows** of the unfiltered table (by employer with
   employer=E is row E of the by-employer table), so the same cell is hidden in the same way
   everywhere.

Report counts are sums over the maintained counts of organise/reports/tally.py, except under an
employer filter: then one statement groups that employer's reports by value and month straight
from the report table (through an index holding every column read, the technologies
included; on PostgreSQL every dimension the request needs in one scan), with a count for each
combination of the request's technology and country filters, and every filtered version the
rules compare is summed from those rows. The employer gate is decided from a few by-employer
rows looked up by key when that is enough (`Aggregator._employer_row`). Published contracts
are grouped from their tables. Every statement binds its values as parameters.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from tortoise import connections

from organise.contracts import taxonomy
from organise.i18n import _
from organise.reports import tally
from organise.suppression import cells_to_suppress

DIMENSIONS = tally.DIMENSIONS  # the maintained counts keep exactly these
FILTERS = ("employer", "technology", "country", "period")
# A filter on the same dimension as `by` selects rows of the unfiltered table (rule 6).
SELF_FILTER = {"employer": "employer", "technology": "technology", "country": "country"}


@dataclass(frozen=True)
class Filters:
    employer: str = ""
    technology: str = ""
    country: str = ""
    period_from: str = ""  # YYYY-MM, inclusive
    period_to: str = ""  # YYYY-MM, inclusive

    def active(self) -> tuple[str, ...]:
        present = {
            "employer": bool(self.employer),
            "technology": bool(self.technology),
            "country": bool(self.country),
            "period": bool(self.period_from or self.period_to),
        }
        return tuple(name for name in FILTERS if present[name])

    def without(self, *names: str) -> Filters:
        changes: dict[str, str] = {}
        for name in names:
            if name == "period":
                changes.update(period_from="", period_to="")
            else:
                changes[name] = ""
        return replace(self, **changes)

    def value(self, name: str) -> str:
        return str(getattr(self, name))

    def in_period(self, month: str) -> bool:
        return (not self.period_from or month >= self.period_from) and (
            not self.period_to or month <= self.period_to
        )

    def params(self) -> dict[str, str]:
        """The filters as query parameters (for links to exports and other views)."""
        values = {
            "employer": self.employer,
            "technology": self.technology,
            "country": self.country,
            "from": self.period_from,
            "to": self.period_to,
        }
        return {name: value for name, value in values.items() if value}


# Slots, and not frozen (a frozen instance is set up field by field through object.__setattr__):
# an answer over 10,000 employers builds 10,000 of them. Nothing changes a row once made.
@dataclass(slots=True)
class Row:
    key: str
    label: str
    count: int | None  # None when suppressed
    suppressed: bool


@dataclass(frozen=True)
class Answer:
    by: str
    k: int
    filters: Filters
    rows: list[Row] = field(default_factory=list)
    # True when a gate (rule 5) withholds the whole table: no rows are given at all.
    withheld: bool = False

    def as_json(self) -> dict[str, Any]:
        return {
            "by": self.by,
            "k": self.k,
            "filters": self.filters.params(),
            "withheld": self.withheld,
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "count": row.count,
                    "suppressed": row.suppressed,
                }
                for row in self.rows
            ],
        }


# -- what is counted, in SQL ------------------------------------------------------------------


def _first_of_month(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year, number, 1)


def _first_after_month(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year + 1, 1, 1) if number == 12 else date(year, number + 1, 1)


class _Params:
    """Bound parameters in the connection's own placeholder style."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.values: list[Any] = []

    def __call__(self, value: Any) -> str:
        if isinstance(value, date) and self.dialect == "sqlite":
            value = value.isoformat()  # SQLite keeps dates as ISO text
        self.values.append(value)
        return f"${len(self.values)}" if self.dialect == "postgres" else "?"


@dataclass(frozen=True)
class Source:
    """One countable table and how each dimension and filter reads it."""

    name: str
    table: str  # "report r"
    row_id: str  # "r.id"
    week: str  # the DateField counted by month
    where: tuple[str, ...]  # fixed conditions (literals only)
    columns: dict[str, str]  # dimension -> column on the main table
    technology_table: str  # (table, foreign key column)
    technology_fk: str
    employer_key: str  # employer dimension: key expression
    employer_label: str
    employer_join: str
    employer_filter: str  # with {p} for the placeholder
    # Maintained counts to read instead of grouping the table (organise/reports/tally.py).
    tallied: bool = False


REPORTS = Source(
    name="reports",
    table="report r",
    row_id="r.id",
    week="r.week",
    where=(
        "r.merged_into_id IS NULL",
        "r.state IN (" + ", ".join(f"'{state}'" for state in tally.COUNTED_STATES) + ")",
    ),
    columns={"agency_type": "r.agency_type", "country": "r.country", "status": "r.status"},
    technology_table="report_technology",
    technology_fk="report_id",
    employer_key="r.employer_name",
    employer_label="r.employer_name",
    employer_join="",
    employer_filter="r.employer_name = {p}",
    tallied=True,
)

CONTRACTS = Source(
    name="contracts",
    table="contract r",
    row_id="r.id",
    week="r.published_week",
    where=(),
    columns={"agency_type": "r.agency_type", "country": "r.country", "status": "r.status"},
    technology_table="contract_technology",
    technology_fk="contract_id",
    employer_key="e.slug",
    employer_label="e.name",
    employer_join=(
        " JOIN contract_employer_link l ON l.contract_id = r.id"
        " JOIN contract_employer e ON e.id = l.employer_id"
    ),
    employer_filter=(
        "EXISTS (SELECT 1 FROM contract_employer_link fl"
        " JOIN contract_employer fe ON fe.id = fl.employer_id"
        " WHERE fl.contract_id = r.id AND fe.slug = {p})"
    ),
)


def _month_expr(source: Source, dialect: str) -> str:
    if dialect == "postgres":
        return f"to_char({source.week}, 'YYYY-MM')"
    return f"substr({source.week}, 1, 7)"


def _months_between(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (YYYY-MM, both included)."""
    months = []
    year, number = (int(part) for part in first.split("-"))
    while f"{year:04d}-{number:02d}" <= last:
        months.append(f"{year:04d}-{number:02d}")
        year, number = (year + 1, 1) if number == 12 else (year, number + 1)
    return months


def _dimension_sql(source: Source, by: str, p: _Params) -> tuple[str, str, str, str]:
    """(join, key expression, label expression, count expression) for a dimension."""
    if by == "employer":
        return source.employer_join, source.employer_key, source.employer_label, "COUNT(*)"
    if by == "month":
        expr = _month_expr(source, p.dialect)
        return "", expr, expr, "COUNT(*)"
    tech_join = f" JOIN {source.technology_table} t ON t.{source.technology_fk} = {source.row_id}"
    if by == "technology":
        return tech_join, "t.technology", "t.technology", "COUNT(*)"
    if by == "technology_group":
        cases = " ".join(
            f"WHEN {p(term.slug)} THEN {p(term.group)}"
            for term in taxonomy.taxonomy().terms["technologies"]
        )
        expr = f"CASE t.technology {cases} ELSE '' END"
        return tech_join, expr, expr, f"COUNT(DISTINCT {source.row_id})"
    column = source.columns[by]
    return "", column, column, "COUNT(*)"


def _filter_sql(source: Source, filters: Filters, p: _Params) -> list[str]:
    conditions = list(source.where)
    if filters.employer:
        conditions.append(source.employer_filter.format(p=p(filters.employer)))
    if filters.technology:
        conditions.append(
            f"EXISTS (SELECT 1 FROM {source.technology_table} ft"  # noqa: S608
            f" WHERE ft.{source.technology_fk} = {source.row_id}"
            f" AND ft.technology = {p(filters.technology)})"
        )
    if filters.country:
        conditions.append(f"r.country = {p(filters.country)}")
    if filters.period_from:
        conditions.append(f"{source.week} >= {p(_first_of_month(filters.period_from))}")
    if filters.period_to:
        conditions.append(f"{source.week} < {p(_first_after_month(filters.period_to))}")
    return conditions


def _labels(by: str) -> dict[str, str]:
    tax = taxonomy.taxonomy()
    if by == "technology_group":
        return {group.slug: _(group.label) for group in tax.groups}
    kind = {"agency_type": "agency_types", "technology": "technologies", "status": "statuses"}
    if by in kind:
        return {term.slug: _(term.label) for term in tax.terms[kind[by]]}
    return {}


def _order(by: str, rows: list[Row]) -> list[Row]:
    """A fixed order that says nothing about the hidden counts (never by count)."""
    tax = taxonomy.taxonomy()
    if by == "month":
        return sorted(rows, key=lambda row: row.key)
    if by in {"agency_type", "technology", "status", "technology_group"}:
        kind = {"agency_type": "agency_types", "technology": "technologies", "status": "statuses"}
        terms = tax.groups if by == "technology_group" else tax.terms[kind[by]]
        position = {term.slug: index for index, term in enumerate(terms)}
        return sorted(rows, key=lambda row: (position.get(row.key, len(position)), row.key))
    return sorted(rows, key=lambda row: (row.label.casefold(), row.key))


@dataclass(frozen=True)
class _Table:
    """One answer before it is shown: key -> count, the labels that differ from their key,
    the hidden keys, and whether a gate withholds it (True) or leaves nothing to count
    (False); None when it is given."""

    numbers: dict[str, int]
    labels: dict[str, str]
    hidden: set[str]
    withheld: bool | None = None

    def only(self, keep: Callable[[str], bool]) -> _Table:
        """The same table restricted to some of its rows (rule 6), hidden as they were."""
        numbers = {key: value for key, value in self.numbers.items() if keep(key)}
        labels = {key: label for key, label in self.labels.items() if key in numbers}
        hidden = self.hidden & numbers.keys()
        return _Table(numbers=numbers, labels=labels, hidden=hidden, withheld=self.withheld)


class Aggregator:
    """Answers for one request; counts and answers are remembered while it lasts."""

    def __init__(self, source: Source, k: int) -> None:
        self.source = source
        self.k = k
        self.connection = connections.get("default")
        self.dialect = (
            "postgres" if self.connection.capabilities.dialect == "postgres" else "sqlite"
        )
        self._labelled: dict[tuple[str, Filters], dict[str, str]] = {}  # labels unlike keys
        self._small_months: dict[tuple[str, Filters], set[str]] = {}
        self._numbers: dict[tuple[str, Filters], dict[str, int]] = {}  # the counts alone
        self._tables: dict[tuple[str, Filters], _Table] = {}
        # One employer's reports per (by, employer, technology, country): (value, month) ->
        # counts with neither filter, the technology only, the country only, both.
        self._employer_rows: dict[tuple[str, str, str, str], dict[tuple[str, str], list[int]]] = {}
        # Per employer: the by-employer cells its gate reads (Aggregator._employer_row).
        self._key_cells: dict[str, dict[tuple[str, str, str, str], int] | None] = {}
        self._asked: Filters | None = None
        self._asked_by = ""  # the first answer's filters: the widest asked

    async def _group(self, by: str, filters: Filters, *, small_months: bool = True) -> list[Any]:
        """Rows of (k, n) and, under a period, `small`: months in it where 0 < count < k.

        `small_months=False` is the plain GROUP BY alone (the benchmark's baseline).
        """
        own = SELF_FILTER.get(by, "period" if by == "month" else "")
        if self.source.tallied and not filters.employer and own not in filters.active():
            return await self._tally_group(by, filters)
        if self.source.tallied and small_months and filters.employer and by != "employer":
            return await self._employer_group(by, filters)
        p = _Params(self.dialect)
        join, key, label, count = _dimension_sql(self.source, by, p)
        conditions = _filter_sql(self.source, filters, p)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        columns = [f"{key} AS k"] + ([f"{label} AS l"] if label != key else [])
        period = small_months and "period" in filters.active()
        if period:
            columns.append(f"{_month_expr(self.source, self.dialect)} AS m")
        # Grouped by position, so an expression with parameters is written (and bound) once.
        positions = ", ".join(str(index) for index in range(1, len(columns) + 1))
        # Expressions are our own constants; every value from a request is a bound parameter.
        sql = (
            f"SELECT {', '.join(columns)}, {count} AS n"  # noqa: S608
            f" FROM {self.source.table}{join}{where} GROUP BY {positions}"
        )
        if period:  # one row per month inside, summed, counting the small months (rule 3)
            outer = "k, l" if label != key else "k"
            sql = (
                f"SELECT {outer}, SUM(monthly.n) AS n,"  # noqa: S608
                f" SUM(CASE WHEN monthly.n < {int(self.k)} THEN 1 ELSE 0 END) AS small"
                f" FROM ({sql}) AS monthly GROUP BY {outer}"
            )
        _rows_affected, rows = await self.connection.execute_query(sql, p.values)
        return list(rows)

    async def _tally_group(self, by: str, filters: Filters) -> list[Any]:
        """The same rows as `_group`, summed from the maintained counts of one slice."""
        p = _Params(self.dialect)
        conditions = [
            f"dimension = {p(by)}",
            f"technology = {p(filters.technology or tally.ANY)}",
            f"country = {p(filters.country or tally.ANY)}",
        ]
        small = ""
        if "period" in filters.active():
            conditions.append(f"month <> {p(tally.ANY)}")
            if filters.period_from:
                conditions.append(f"month >= {p(filters.period_from)}")
            if filters.period_to:
                conditions.append(f"month <= {p(filters.period_to)}")
        if "period" in filters.active():
            # Within one slice each (value, month) is one row: its count is that month's.
            small = (
                f", SUM(CASE WHEN reports > 0 AND reports < {int(self.k)} THEN 1 ELSE 0 END)"
                " AS small"
            )
        else:
            conditions.append(f"month = {p(tally.ANY)}")
            # One row per value in a slice of all months (the unique key): nothing to sum.
            sql = (
                f"SELECT value AS k, reports AS n FROM {tally.TABLE}"  # noqa: S608
                f" WHERE {' AND '.join(conditions)} AND reports > 0"
            )
            _rows_affected, rows = await self.connection.execute_query(sql, p.values)
            return list(rows)
        # Column names are our own constants; every value from a request is a bound parameter.
        sql = (
            f"SELECT value AS k, SUM(reports) AS n{small}"  # noqa: S608
            f" FROM {tally.TABLE} WHERE {' AND '.join(conditions)}"
            " GROUP BY value HAVING SUM(reports) > 0"
        )
        _rows_affected, rows = await self.connection.execute_query(sql, p.values)
        return list(rows)

    async def _employer_group(self, by: str, filters: Filters) -> list[dict[str, Any]]:
        """The same rows as `_group` under an employer filter, from one employer's rows.

        Every version of a dimension the rules compare within one request (the relaxation
        subsets, the months of a period) is one employer, the request's technology or none,
        its country or none: one statement gives all of them, and each is summed here.
        """
        technology = filters.technology or (self._asked.technology if self._asked else "")
        country = filters.country or (self._asked.country if self._asked else "")
        cache_key = (by, filters.employer, technology, country)
        if cache_key not in self._employer_rows:
            await self._employer_cells(by, filters.employer, technology, country)
        column = (2 if filters.country else 0) + (1 if filters.technology else 0)
        period = "period" in filters.active()
        totals: dict[str, int] = {}
        small: dict[str, int] = {}
        for (key, month), counted in self._employer_rows[cache_key].items():
            n = counted[column]
            if not n or (period and not filters.in_period(month)):
                continue
            totals[key] = totals.get(key, 0) + n
            if period and n < self.k:  # rule 3: a month inside the period under k
                small[key] = small.get(key, 0) + 1
        return [{"k": key, "n": n, "small": small.get(key, 0)} for key, n in totals.items()]

    async def _employer_cells(self, by: str, employer: str, technology: str, country: str) -> None:
        """Count one employer's reports by value and month: [all, technology only, country
        only, both] for each, for `by` (SQLite) or for every dimension at once (PostgreSQL,
        one scan with GROUPING SETS)."""
        p = _Params(self.dialect)
        month = _month_expr(self.source, self.dialect)
        find = "strpos" if self.dialect == "postgres" else "instr"

        def has_technology() -> str:
            return f"{find}(r.technologies, {p(f',{technology},')}) > 0" if technology else "1 = 1"

        def in_country() -> str:
            return f"r.country = {p(country)}" if country else "1 = 1"

        # Each dimension's column (the technology ones both read the report's list); month is
        # in every group.
        read = {**self.source.columns, "technology": "r.technologies"}
        read["technology_group"] = read["technology"]
        # PostgreSQL: also the table asked for and those its gates will ask of the same
        # employer (by technology under a technology filter, and so on), in the same scan.
        dimensions = {by}
        if self.dialect == "postgres" and self._asked is not None:
            gated = {"technology": "technology", "country": "country", "period": "month"}
            dimensions |= {gated[name] for name in self._asked.active() if name in gated}
            dimensions |= {self._asked_by} - {"employer"}
        columns = sorted({read[dimension] for dimension in dimensions if dimension in read})
        selected = [f"{column} AS c{index}" for index, column in enumerate(columns)]
        if self.dialect == "postgres":
            selected += [f"GROUPING({column}) AS g{index}" for index, column in enumerate(columns)]
        # Placeholders are numbered (PostgreSQL) or placed (SQLite) in the order they are
        # made, which is the order they are written in.
        sums = [
            "COUNT(*) AS n0",
            f"SUM(CASE WHEN {has_technology()} THEN 1 ELSE 0 END) AS n1",
            f"SUM(CASE WHEN {in_country()} THEN 1 ELSE 0 END) AS n2",
            f"SUM(CASE WHEN {has_technology()} AND {in_country()} THEN 1 ELSE 0 END) AS n3",
        ]
        where = " AND ".join(
            [*self.source.where, self.source.employer_filter.format(p=p(employer))]
        )
        if self.dialect == "postgres":
            sets = [f"({column}, {month})" for column in columns]
            sets += [f"({month})"] if "month" in dimensions else []
            grouped = f"GROUPING SETS ({', '.join(sets)})"
        else:
            grouped = ", ".join(str(index) for index in range(1, len(columns) + 2))
        # Expressions are our own constants; every value from a request is a bound parameter.
        sql = (
            f"SELECT {', '.join([*selected, f'{month} AS m', *sums])}"  # noqa: S608
            f" FROM {self.source.table} WHERE {where} GROUP BY {grouped}"
        )
        _rows_affected, rows = await self.connection.execute_query(sql, p.values)
        found: dict[str, dict[tuple[str, str], list[int]]] = {
            dimension: {} for dimension in dimensions
        }
        for row in rows:
            index = next(
                (i for i in range(len(columns)) if self.dialect != "postgres" or not row[f"g{i}"]),
                None,
            )
            if index is None:
                targets = ["month"]
            else:
                targets = [name for name in found if read.get(name) == columns[index]]
            counted = [int(row["n0"]), int(row["n1"]), int(row["n2"]), int(row["n3"])]
            for target in targets:
                value = str(row[f"c{index}"]) if index is not None else ""
                if target == "technology":
                    keys = tally.technologies_in(value)
                elif target == "technology_group":  # a report counts once in each group
                    keys = sorted({tally.technology_group(t) for t in tally.technologies_in(value)})
                elif target == "month":
                    keys = [str(row["m"])]
                else:
                    keys = [value]
                for key in keys:
                    cell = found[target].setdefault((key, str(row["m"])), [0, 0, 0, 0])
                    for position, n in enumerate(counted):
                        cell[position] += n
        for dimension, cells in found.items():
            self._employer_rows[(dimension, employer, technology, country)] = cells

    async def counts(self, by: str, filters: Filters) -> dict[str, tuple[int, str]]:
        """key -> (count, label) for every non-empty row."""
        numbers = await self._load(by, filters)
        labels = self._labelled[(by, filters)]
        return {key: (count, labels.get(key, key)) for key, count in numbers.items()}

    async def _load(self, by: str, filters: Filters) -> dict[str, int]:
        """key -> count for every non-empty row (read once per request)."""
        cache_key = (by, filters)
        if cache_key not in self._numbers:
            numbers: dict[str, int] = {}
            labels: dict[str, str] = {}
            small: set[str] = set()
            # Only a contract's employer has a label apart from its key (slug and name).
            labelled = by == "employer" and self.source.employer_label != self.source.employer_key
            period = "period" in filters.active()
            for row in await self._group(by, filters):
                key = row["k"]
                key = "" if key is None else str(key)
                numbers[key] = int(row["n"])
                if labelled:
                    labels[key] = str(row["l"] or key)
                if period and row["small"]:
                    small.add(key)
            self._numbers[cache_key] = numbers
            self._labelled[cache_key] = labels
            self._small_months[cache_key] = small
        return self._numbers[cache_key]

    async def months_under_k(self, by: str, filters: Filters) -> set[str]:
        """Keys with a month inside the period where their count is between 1 and k-1."""
        await self._load(by, filters)
        return self._small_months[(by, filters)]

    async def answer(self, by: str, filters: Filters) -> Answer:
        """The table as shown: every row with its label, hidden ones without their count."""
        if self._asked is None:
            self._asked, self._asked_by = filters, by
        table = await self._table(by, filters)
        if table.withheld is not None:
            return Answer(by=by, k=self.k, filters=filters, withheld=table.withheld)
        labels = {**table.labels, **_labels(by)}
        hidden = table.hidden
        rows = [
            Row(key, self._label(by, key, labels.get(key, key)), None, True)
            if key in hidden
            else Row(key, self._label(by, key, labels.get(key, key)), count, False)
            for key, count in table.numbers.items()
        ]
        return Answer(by=by, k=self.k, filters=filters, rows=_order(by, rows))

    async def _table(self, by: str, filters: Filters) -> _Table:
        """Counts and hidden keys of one answer; the gates and rules read these, not rows.

        The answers a request compares (up to several tables of 10,000 employers) are never
        labelled, ordered or turned into rows: only the one asked for is (`answer`).
        """
        cache_key = (by, filters)
        if cache_key not in self._tables:
            self._tables[cache_key] = await self._compute(by, filters)
        return self._tables[cache_key]

    async def _compute(self, by: str, filters: Filters) -> _Table:
        # Rule 6: a filter on the table's own dimension selects its rows.
        own = SELF_FILTER.get(by)
        if own and filters.value(own):
            return (await self._table(by, filters.without(own))).only(
                lambda key: key == filters.value(own)
            )
        if by == "month" and "period" in filters.active():
            return (await self._table(by, filters.without("period"))).only(filters.in_period)

        # Rule 5: gates.
        for name in filters.active():
            gate = await self._gate(name, filters)
            if gate is not None:
                return _Table(numbers={}, labels={}, hidden=set(), withheld=gate)

        numbers = await self._load(by, filters)
        hidden = {key for key, count in numbers.items() if count < self.k}
        # Rule 2: relaxation check over every subset of the active filters.
        active = filters.active()
        for size in range(1, len(active) + 1):
            for dropped in itertools.combinations(active, size):
                wider = await self._load(by, filters.without(*dropped))
                for key, count in numbers.items():
                    if 0 < wider.get(key, count) - count < self.k:
                        hidden.add(key)
        # Rule 3: every month inside the period.
        if "period" in active:
            hidden |= await self.months_under_k(by, filters)
        # Rule 4: complementary suppression.
        hidden = cells_to_suppress(numbers, self.k, hidden=hidden)
        return _Table(numbers=numbers, labels=self._labelled[(by, filters)], hidden=hidden)

    async def _gate(self, name: str, filters: Filters) -> bool | None:
        """None when the filter may be used; True (withheld) or False (nothing to count)."""
        if name == "period":
            months = await self._table("month", filters.without("period"))
            if months.withheld is not None:
                return months.withheld
            inside = [key for key in months.numbers if filters.in_period(key)]
            if not inside:
                return False
            return True if any(key in months.hidden for key in inside) else None
        if name == "employer":
            decided, gate = await self._employer_row(filters.without(name), filters.employer)
            if decided:
                return gate
        table = await self._table(name, filters.without(name))
        if table.withheld is not None:
            return table.withheld
        if filters.value(name) not in table.numbers:
            return False
        return True if filters.value(name) in table.hidden else None

    async def _employer_row(self, filters: Filters, employer: str) -> tuple[bool, bool | None]:
        """The employer gate without the whole by-employer table, when that can be decided.

        What `_gate` reads from the table: withheld (its own gates), the employer absent,
        or its row hidden. Rules 1 to 3 hide a row for its own counts alone, so those of the
        employer and of a few others are looked up by key. Rule 4 then hides at most one
        more row: every row it can add has k or more reports, so once anything is hidden one
        such row makes the hidden rows at least two and k or more; it takes the smallest
        shown row by (count, key). A shown row smaller than the employer's therefore means
        the employer's row stays shown. When no such row is found among the few looked up,
        (False, None): the whole table decides, as it always may. Otherwise (True, the gate).
        """
        if not self.source.tallied or ("employer", filters) in self._tables:
            return False, None
        cells = await self._employer_key_cells(employer)
        if cells is None or not self._within_asked(filters):
            return False, None
        for name in filters.active():  # the table's own gates, as `_compute` checks them
            gate = await self._gate(name, filters)
            if gate is not None:
                return True, gate
        numbers, small = self._key_counts(cells, filters)
        if employer not in numbers:
            return True, False  # not in the table: nothing to count
        hidden = {key for key, count in numbers.items() if count < self.k} | small  # 1, 3
        active = filters.active()
        for size in range(1, len(active) + 1):  # rule 2
            for dropped in itertools.combinations(active, size):
                wider, _small = self._key_counts(cells, filters.without(*dropped))
                for key, count in numbers.items():
                    if 0 < wider.get(key, count) - count < self.k:
                        hidden.add(key)
        if employer in hidden:
            return True, True
        own = (numbers[employer], employer)
        if any(key not in hidden and (count, key) < own for key, count in numbers.items()):
            return True, None  # rule 4 takes a smaller shown row first: the employer's is shown
        return False, None

    def _within_asked(self, filters: Filters) -> bool:
        """Whether every filter of `filters` is the request's own (what the cells were read for)."""
        asked = self._asked
        period = (filters.period_from, filters.period_to)
        return (
            asked is not None
            and all(
                not filters.value(name) or filters.value(name) == asked.value(name)
                for name in ("technology", "country")
            )
            and period in {("", ""), (asked.period_from, asked.period_to)}
        )

    def _key_counts(
        self, cells: dict[tuple[str, str, str, str], int], filters: Filters
    ) -> tuple[dict[str, int], set[str]]:
        """By-employer counts under `filters` of the looked-up employers, summed as
        `_tally_group` sums them, and those with a month inside the period under k."""
        technology = filters.technology or tally.ANY
        country = filters.country or tally.ANY
        period = "period" in filters.active()
        numbers: dict[str, int] = {}
        small: set[str] = set()
        for (cell_technology, cell_country, month, key), n in cells.items():
            if cell_technology != technology or cell_country != country or n <= 0:
                continue
            if period:
                if month == tally.ANY or not filters.in_period(month):
                    continue
                if n < self.k:
                    small.add(key)
            elif month != tally.ANY:
                continue
            numbers[key] = numbers.get(key, 0) + n
        return numbers, small

    async def _employer_key_cells(
        self, employer: str
    ) -> dict[tuple[str, str, str, str], int] | None:
        """(technology, country, month, employer) -> reports: every by-employer cell the gates
        of this request can read, for `employer` and a few others likely shown with fewer
        reports (the largest below it), in one statement; None when the request's period is
        open-ended (its months are then not listed)."""
        if employer in self._key_cells:
            return self._key_cells[employer]
        asked = self._asked or Filters()
        months = [tally.ANY]
        if "period" in asked.active():
            if not (asked.period_from and asked.period_to):
                return None
            months += _months_between(asked.period_from, asked.period_to)
        p = _Params(self.dialect)

        def everything() -> str:
            return (
                f"dimension = {p('employer')} AND technology = {p(tally.ANY)}"
                f" AND country = {p(tally.ANY)} AND month = {p(tally.ANY)}"
            )

        # Placeholders are made in the order they are written (SQLite places them so).
        where = f"{everything()} AND value <> {p(employer)} AND reports >= {int(self.k)}"
        own = f"SELECT reports FROM {tally.TABLE} WHERE {everything()} AND value = {p(employer)}"  # noqa: S608
        candidates = (
            f"SELECT value FROM {tally.TABLE} WHERE {where}"  # noqa: S608
            f" ORDER BY CASE WHEN reports < ({own}) THEN 0 ELSE 1 END, reports DESC LIMIT 6"
        )
        _rows_affected, rows = await self.connection.execute_query(candidates, p.values)
        keys = [employer, *(str(row["value"]) for row in rows)]
        p = _Params(self.dialect)
        technologies = {tally.ANY, asked.technology or tally.ANY}
        countries = {tally.ANY, asked.country or tally.ANY}
        conditions = [
            f"dimension = {p('employer')}",
            f"technology IN ({', '.join(p(value) for value in sorted(technologies))})",
            f"country IN ({', '.join(p(value) for value in sorted(countries))})",
            f"month IN ({', '.join(p(value) for value in months)})",
            f"value IN ({', '.join(p(value) for value in keys)})",
        ]
        sql = (
            f"SELECT technology, country, month, value, reports FROM {tally.TABLE}"  # noqa: S608
            f" WHERE {' AND '.join(conditions)}"
        )
        _rows_affected, rows = await self.connection.execute_query(sql, p.values)
        cells = {
            (
                str(row["technology"]),
                str(row["country"]),
                str(row["month"]),
                str(row["value"]),
            ): int(row["reports"])
            for row in rows
        }
        self._key_cells[employer] = cells
        return cells

    @staticmethod
    def _label(by: str, key: str, label: str) -> str:
        if not key:
            return _("not given")
        if by == "country":
            return taxonomy.country_name(key)
        return label
