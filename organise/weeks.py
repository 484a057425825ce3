"""Week precision: nothing a worker creates carries a time finer than its ISO week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def week_of(moment: datetime | date) -> date:
    """The Monday that starts the ISO week containing `moment`."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return day - timedelta(days=day.weekday())


def this_week() -> date:
    return week_of(datetime.now(UTC))
