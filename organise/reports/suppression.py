"""Small-cell suppression: a count of reports under k is shown as "fewer than k".

A count of 1 or 2 next to an employer and an agency can point at the one person who knows.
Every place that shows a number of reports goes through `suppressed` (pages, API, CSV).
"""

from __future__ import annotations

from organise.i18n import _

SMALL_CELL_K = 5


def suppressed(count: int, k: int = SMALL_CELL_K) -> str | int:
    """`count` itself when it is at least `k`, otherwise the words "fewer than k"."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if count >= k:
        return count
    return _("fewer than %(k)d") % {"k": k}
