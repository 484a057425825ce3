"""Pure rules: the revealed set, rounded progress, gate choices."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from organise.campaigns.models import Campaign, ProgressDisplay
from organise.campaigns.policy import (
    gatekeeper_shares_needed,
    policy_from_choice,
    progress,
    revealed_cutoff,
)


def _brute_force(thresholds: list[int]) -> int:
    """Size of the largest subset S with every member's threshold <= |S| (exhaustive)."""
    best = 0
    for size in range(len(thresholds) + 1):
        for subset in itertools.combinations(thresholds, size):
            if all(t <= size for t in subset):
                best = max(best, size)
    return best


@pytest.mark.parametrize(
    "thresholds",
    [
        [],
        [3, 3],
        [3, 3, 3],
        [3, 3, 5],
        [3, 3, 3, 5],
        [3, 3, 3, 5, 5],
        [3, 4, 4, 4],
        [5, 5, 5, 5, 5],
        [3, 9, 9, 9, 9, 9, 9, 9, 9],
        [4, 4, 4, 6, 6, 7],
    ],
)
def test_revealed_set_is_the_largest_qualifying_set(thresholds):
    counts: dict[int, int] = {}
    for t in thresholds:
        counts[t] = counts.get(t, 0) + 1
    cutoff, size = revealed_cutoff(counts)
    assert size == _brute_force(thresholds)
    if size:
        assert size == sum(1 for t in thresholds if t <= cutoff)
        assert all(t <= size for t in thresholds if t <= cutoff)
    else:
        assert cutoff is None


def _campaign(count: int, threshold: int, display: ProgressDisplay) -> Campaign:
    return Campaign(
        pledge_count=count,
        threshold=threshold,
        progress_display=display,
        deadline=datetime.now(UTC),
    )


def test_exact_progress_shows_the_count():
    shown = progress(_campaign(43, 100, ProgressDisplay.EXACT))
    assert shown.text == "43 pledges of the 100 needed"
    assert shown.count == 43


@pytest.mark.parametrize(
    ("count", "threshold", "text"),
    [
        (43, 100, "between 40 and 50 pledges of the 100 needed"),
        (40, 100, "between 40 and 50 pledges of the 100 needed"),
        (3, 100, "fewer than 10 pledges of the 100 needed"),
        (97, 100, "between 90 and 100 pledges of the 100 needed"),
        (2, 20, "fewer than 5 pledges of the 20 needed"),
        (12, 20, "between 10 and 15 pledges of the 20 needed"),
        (120, 100, "at least 100 pledges: the threshold is reached"),
    ],
)
def test_rounded_progress_hides_the_exact_count(count, threshold, text):
    shown = progress(_campaign(count, threshold, ProgressDisplay.ROUNDED))
    assert shown.text == text
    assert shown.count is None


def test_gate_choices():
    assert policy_from_choice(None, server_required=False).mode == "server"
    both = policy_from_choice("2/3", server_required=True)
    assert (both.mode, both.threshold, both.gatekeepers) == ("server_and_gatekeepers", 2, 3)
    assert gatekeeper_shares_needed(both) == 2
    any_k = policy_from_choice("2/3", server_required=False)
    assert (any_k.mode, any_k.threshold, any_k.gatekeepers) == ("any_k_of_n", 2, 3)
    assert gatekeeper_shares_needed(any_k) == 1
    for bad in ("3", "x/3", "4/3", "1/3"):
        with pytest.raises(ValueError, match=r"\w"):
            policy_from_choice(bad, server_required=True)
