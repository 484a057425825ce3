"""Small-cell suppression: a count of people's reports under k is hidden.

A count of 1 or 2 next to an employer and an agency can point at the one person who knows.
Every place that shows such a count goes through here: the dashboard's tables
(`cells_to_suppress`, complementary suppression) and the one word every hidden count reads.
Shared by features, so it imports none of them.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable

from organise.i18n import _

SMALL_CELL_K = 5


def hidden() -> str:
    """What every hidden count reads, in the language of the request: the same word whether it
    was hidden for being small or so that a small one cannot be worked out, so that the word
    itself says nothing about the size."""
    return _("hidden")


def suppressed(count: int, k: int = SMALL_CELL_K) -> str | int:
    """`count` itself when it is at least `k`, otherwise the word for a hidden count."""
    if k < 1:
        raise ValueError("k must be at least 1")
    if count >= k:
        return count
    return hidden()


def cells_to_suppress(
    counts: dict[str, int], k: int = SMALL_CELL_K, *, hidden: Iterable[str] = ()
) -> set[str]:
    """The cells of one table to hide: every cell under `k`, then complementary cells.

    Primary suppression hides each cell with 0 < count < k. If anything is hidden,
    complementary suppression then hides the next-smallest cells (ties broken by key, so the
    choice is the same every time) until at least two cells are hidden AND the hidden cells
    add up to at least `k`: a table total, known from elsewhere, minus the visible cells then
    leaves a sum that cannot be split back into the small cell. `hidden` names cells already
    hidden for another reason (they count towards both conditions).
    """
    if k < 1:
        raise ValueError("k must be at least 1")
    hidden = {key for key, count in counts.items() if 0 < count < k} | (set(hidden) & set(counts))
    if not hidden:
        return hidden
    # The smallest visible cells first (a heap: a table of 10,000 employers adds one or two).
    visible = [(count, key) for key, count in counts.items() if key not in hidden]
    heapq.heapify(visible)
    while visible and (len(hidden) < 2 or sum(counts[key] for key in hidden) < k):
        hidden.add(heapq.heappop(visible)[1])
    return hidden
