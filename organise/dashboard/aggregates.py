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
employer filter, where that employer's reports are grouped straight from the report table
(through an index holding every column read); published contracts are grouped from their
tables. Every statement binds its values as parameters.
"""

from __future__ import annotations

import itertools
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


@dataclass(frozen=True, slots=True)  # slots: answers over 10,000 employers build many of them
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


class Aggregator:
    """Answers for one request; counts and answers are remembered while it lasts."""

    def __init__(self, source: Source, k: int) -> None:
        self.source = source
        self.k = k
        self.connection = connections.get("default")
        self.dialect = (
            "postgres" if self.connection.capabilities.dialect == "postgres" else "sqlite"
        )
        self._counts: dict[tuple[str, Filters], dict[str, tuple[int, str]]] = {}
        self._small_months: dict[tuple[str, Filters], set[str]] = {}
        self._answers: dict[tuple[str, Filters], Answer] = {}

    async def _group(self, by: str, filters: Filters, *, small_months: bool = True) -> list[Any]:
        """Rows of (k, n) and, under a period, `small`: months in it where 0 < count < k.

        `small_months=False` is the plain GROUP BY alone (the benchmark's baseline).
        """
        own = SELF_FILTER.get(by, "period" if by == "month" else "")
        if self.source.tallied and not filters.employer and own not in filters.active():
            return await self._tally_group(by, filters)
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
            # Within one slice each (value, month) is one row: its count is that month's.
            small = (
                f", SUM(CASE WHEN reports > 0 AND reports < {int(self.k)} THEN 1 ELSE 0 END)"
                " AS small"
            )
        else:
            conditions.append(f"month = {p(tally.ANY)}")
        # Column names are our own constants; every value from a request is a bound parameter.
        sql = (
            f"SELECT value AS k, SUM(reports) AS n{small}"  # noqa: S608
            f" FROM {tally.TABLE} WHERE {' AND '.join(conditions)}"
            " GROUP BY value HAVING SUM(reports) > 0"
        )
        _rows_affected, rows = await self.connection.execute_query(sql, p.values)
        return list(rows)

    async def counts(self, by: str, filters: Filters) -> dict[str, tuple[int, str]]:
        """key -> (count, label) for every non-empty row."""
        cache_key = (by, filters)
        if cache_key not in self._counts:
            found: dict[str, tuple[int, str]] = {}
            small: set[str] = set()
            # Only a contract's employer has a label apart from its key (slug and name).
            labelled = by == "employer" and self.source.employer_label != self.source.employer_key
            period = "period" in filters.active()
            for row in await self._group(by, filters):
                key = str(row["k"] if row["k"] is not None else "")
                found[key] = (int(row["n"]), str(row["l"] or key) if labelled else key)
                if period and row["small"]:
                    small.add(key)
            self._counts[cache_key] = found
            self._small_months[cache_key] = small
        return self._counts[cache_key]

    async def months_under_k(self, by: str, filters: Filters) -> set[str]:
        """Keys with a month inside the period where their count is between 1 and k-1."""
        await self.counts(by, filters)
        return self._small_months[(by, filters)]

    async def answer(self, by: str, filters: Filters) -> Answer:
        cache_key = (by, filters)
        if cache_key not in self._answers:
            self._answers[cache_key] = await self._compute(by, filters)
        return self._answers[cache_key]

    async def _compute(self, by: str, filters: Filters) -> Answer:
        # Rule 6: a filter on the table's own dimension selects its rows.
        own = SELF_FILTER.get(by)
        if own and filters.value(own):
            whole = await self.answer(by, filters.without(own))
            rows = [row for row in whole.rows if row.key == filters.value(own)]
            return replace(whole, filters=filters, rows=rows)
        if by == "month" and "period" in filters.active():
            whole = await self.answer(by, filters.without("period"))
            rows = [row for row in whole.rows if filters.in_period(row.key)]
            return replace(whole, filters=filters, rows=rows)

        # Rule 5: gates.
        for name in filters.active():
            gate = await self._gate(name, filters)
            if gate is not None:
                return Answer(by=by, k=self.k, filters=filters, withheld=gate)

        counts = await self.counts(by, filters)
        hidden = {key for key, (count, _label) in counts.items() if count < self.k}
        # Rule 2: relaxation check over every subset of the active filters.
        active = filters.active()
        for size in range(1, len(active) + 1):
            for dropped in itertools.combinations(active, size):
                wider = await self.counts(by, filters.without(*dropped))
                for key, (count, _label) in counts.items():
                    extra = wider.get(key, (count, ""))[0] - count
                    if 0 < extra < self.k:
                        hidden.add(key)
        # Rule 3: every month inside the period.
        if "period" in active:
            hidden |= await self.months_under_k(by, filters)
        # Rule 4: complementary suppression.
        hidden = cells_to_suppress(
            {key: count for key, (count, _label) in counts.items()}, self.k, hidden=hidden
        )
        labels = _labels(by)
        rows = [
            Row(
                key=key,
                label=self._label(by, key, labels.get(key, label)),
                count=None if key in hidden else count,
                suppressed=key in hidden,
            )
            for key, (count, label) in counts.items()
        ]
        return Answer(by=by, k=self.k, filters=filters, rows=_order(by, rows))

    async def _gate(self, name: str, filters: Filters) -> bool | None:
        """None when the filter may be used; True (withheld) or False (nothing to count)."""
        if name == "period":
            months = await self.answer("month", filters.without("period"))
            if months.withheld:
                return True
            inside = [row for row in months.rows if filters.in_period(row.key)]
            if not inside:
                return False
            return True if any(row.suppressed for row in inside) else None
        table = await self.answer(name, filters.without(name))
        if table.withheld:
            return True
        row = next((row for row in table.rows if row.key == filters.value(name)), None)
        if row is None:
            return False
        return True if row.suppressed else None

    @staticmethod
    def _label(by: str, key: str, label: str) -> str:
        if not key:
            return _("not given")
        if by == "country":
            return taxonomy.country_name(key)
        return label
