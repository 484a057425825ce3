"""Dates and numbers written the way the page's language writes them (Babel's CLDR data).

Worker-created things carry a week, shown as its Monday: "week of 3 March 2026" reads
naturally in every language ("semaine du 3 mars 2026"); ISO dates stay in the JSON API.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from babel.dates import format_date, format_time
from babel.numbers import format_decimal

from organise.i18n import babel_locale, current_locale


def day(value: date | datetime) -> str:
    """A calendar day, e.g. "3 March 2026" / "3 mars 2026" / "3. März 2026"."""
    if isinstance(value, datetime):
        value = value.astimezone(UTC).date()
    return format_date(value, format="long", locale=babel_locale(current_locale.get()))


def moment(value: datetime) -> str:
    """A time in UTC to the minute, e.g. "3 Mar 2026, 18:00 UTC"."""
    locale = babel_locale(current_locale.get())
    value = value.astimezone(UTC)
    when = str(locale.datetime_formats["medium"]).format(
        format_time(value, format="short", tzinfo=UTC, locale=locale),
        format_date(value, format="medium", locale=locale),
    )
    return f"{when} UTC"


def number(value: int | float) -> str:
    """A count with the language's digits and grouping, e.g. "1,234" / "1 234" / "1.234"."""
    return format_decimal(value, locale=babel_locale(current_locale.get()))
