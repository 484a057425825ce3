"""The dashboard's query: which table (`by`) and which filters.

One table of fields, read from the query string by the page, its exports and the aggregates
API alike (`read_filters`, `read_query`), and published as the API's query parameters. The
checks a filter shares with the contract search (its length, a known technology, a known
country) are the contract search's own, so both refuse the same filter with the same words.
Every refusal here is a 400 with the code API clients already know.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from organise.contracts.search import (
    MAX_FILTER_CHARS,
    country_filter,
    filter_text,
    technology_filter,
)
from organise.dashboard.aggregates import DIMENSIONS, Filters
from organise.fields import Field, FieldProblem, FieldTable, FormData
from organise.i18n import Message, _l
from organise.refusal import Refused

# The width of the technology columns counted (a taxonomy slug is shorter).
MAX_TECHNOLOGY_CHARS = 48
# ASCII digits only: \d would also take "٢٠٢٤-٠٣" (Arabic-Indic digits).
MONTH_PATTERN = "^[0-9]{4}-[0-9]{2}$"
_MONTH = re.compile(MONTH_PATTERN)


# The contract search's checks read a query string; each is given the one value here. They
# refuse at once, so a bad employer, technology or country is named alone.
def _text(name: str) -> Callable[[str], str]:
    return lambda value: filter_text({name: value}, name)


def _technology(value: str) -> str:
    return technology_filter({"technology": value})


def _country(value: str) -> str:
    return country_filter({"country": value})


def _filter(
    name: str, label: Message, read: Callable[[str], str], max_chars: int, description: str
) -> Field:
    """A filter read by one of the contract search's checks, at most `max_chars` long."""
    return Field(
        name,
        label,
        normalise=read,
        description=description,
        schema_extra={"maxLength": max_chars},
    )


def _month_message(name: str) -> Message:
    return _l("%(field)s must be a month written YYYY-MM, such as 2024-03.", field=name)


def _month(name: str, label: Message, description: str) -> Field:
    """A bound of the period (`from` or `to`), inclusive."""

    def read(value: str) -> str:
        value = _text(name)(value)
        if not _MONTH.fullmatch(value) or not 1 <= int(value[5:]) <= 12 or int(value[:4]) < 1:
            raise FieldProblem(_month_message(name), "invalid_month", 400)
        return value

    return Field(
        name,
        label,
        normalise=read,
        description=description,
        schema_extra={"pattern": MONTH_PATTERN},
    )


def _by_message() -> Message:
    return _l("by must be one of: %(choices)s.", choices=", ".join(DIMENSIONS))


def _by(value: str) -> str:
    value = _text("by")(value)
    if value not in DIMENSIONS:
        raise FieldProblem(_by_message(), "invalid_dimension", 400)
    return value


BY = Field(
    "by",
    _l("Count by"),
    normalise=_by,
    description="The dimension to count by.",
    schema_extra={"enum": list(DIMENSIONS)},
)
FILTERS = (
    _filter(
        "employer",
        _l("Employer"),
        _text("employer"),
        MAX_FILTER_CHARS,
        "Only this employer (reports: its name; contracts: its slug).",
    ),
    _filter(
        "technology",
        _l("Technology"),
        _technology,
        MAX_TECHNOLOGY_CHARS,
        "Only this technology (a slug from /api/v1/taxonomy).",
    ),
    _filter("country", _l("Country"), _country, 2, "Only this country (ISO 3166-1 alpha-2)."),
    _month("from", _l("From month (YYYY-MM)"), "First month of the period, YYYY-MM."),
    _month("to", _l("To month (YYYY-MM)"), "Last month of the period, YYYY-MM."),
)
FILTER_TABLE = FieldTable("AggregateFilters", FILTERS)
# The aggregates API. `by` is needed, but a missing one is refused like an unknown one (400
# invalid_dimension), so the check is in `read_query` rather than `required=True`.
QUERY_TABLE = FieldTable("AggregateQuery", (BY, *FILTERS))


def _filters(values: Mapping[str, str]) -> Filters:
    period_from, period_to = values["from"], values["to"]
    if period_from and period_to and period_from > period_to:
        raise Refused(
            {"to": _l("The period must not end before it starts.")},
            status=400,
            code="invalid_period",
        )
    return Filters(
        employer=values["employer"],
        technology=values["technology"],
        country=values["country"],
        period_from=period_from,
        period_to=period_to,
    )


def read_filters(params: FormData) -> Filters:
    """The filters of a dashboard page or export, or one Refused naming every bad one."""
    return _filters(FILTER_TABLE.read_form(params))


def read_query(params: FormData) -> tuple[str, Filters]:
    """The table and filters asked of the aggregates API."""
    values = QUERY_TABLE.read_form(params)
    if not values["by"]:
        raise Refused({"by": _by_message()}, status=400, code="invalid_dimension")
    return values["by"], _filters(values)
