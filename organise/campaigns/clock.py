"""How precisely the campaign clock is kept: whole hours for what drives it, weeks for the log.

A signature that reaches the threshold starts the cooling-off: stored to the microsecond, its end
(and the reveal that follows it) would date that signature for as long as the row lives. So:

- times that drive the clock (cooling-off end, reveal time) are rounded *up* to the next whole
  hour (never early: signers keep at least the whole cooling-off), and cleared once passed;
- lifecycle events a pledge causes (threshold reached or lost, the reveal) carry the Monday of
  their week only, as pledge rows do.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from organise.weeks import week_of


def hour_up(moment: datetime) -> datetime:
    """`moment` rounded up to the next whole hour (unchanged if already on one)."""
    hour = moment.replace(minute=0, second=0, microsecond=0)
    return hour if hour == moment else hour + timedelta(hours=1)


def week_start(moment: datetime) -> datetime:
    """Midnight UTC on the Monday of `moment`'s week: the time of a pledge-caused event."""
    return datetime.combine(week_of(moment.astimezone(UTC)), time(), tzinfo=UTC)


def cooling_off_end(crossed: datetime, hours: int) -> datetime:
    """When a cooling-off that began at `crossed` ends: rounded up to the hour.

    A campaign without cooling-off reveals at once: its end is `crossed` itself, which the
    reveal (seconds later, the ticker being woken) clears with the rest.
    """
    if hours == 0:
        return crossed
    return hour_up(crossed + timedelta(hours=hours))
