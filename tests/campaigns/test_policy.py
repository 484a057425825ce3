"""Pure rules: the revealed set, rounded progress, gate choices."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from organise.campaigns.models import Campaign, CampaignState, ProgressDisplay
from organise.campaigns.policy import (
    Progress,
    Stage,
    gatekeeper_shares_needed,
    policy_from_choice,
    progress,
    revealed_cutoff,
    stage,
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


def _campaign(
    count: int,
    threshold: int,
    display: ProgressDisplay,
    state: CampaignState = CampaignState.OPEN,
    **more: object,
) -> Campaign:
    return Campaign(
        pledge_count=count,
        threshold=threshold,
        progress_display=display,
        state=state,
        deadline=datetime.now(UTC),
        **more,
    )


def _shown(campaign: Campaign, *, team_can_receive: bool = True) -> Progress:
    return progress(campaign, stage(campaign, team_can_receive=team_can_receive))


def test_exact_progress_shows_the_count():
    shown = _shown(_campaign(43, 100, ProgressDisplay.EXACT))
    assert shown.text == "43 pledges of the 100 needed"
    assert shown.count == 43
    assert shown.stage == Stage.OPEN
    assert not shown.reached


@pytest.mark.parametrize(
    ("count", "threshold", "text", "bounds"),
    [
        (43, 100, "between 40 and 50 pledges of the 100 needed", (40, 50)),
        (40, 100, "between 40 and 50 pledges of the 100 needed", (40, 50)),
        (3, 100, "fewer than 10 pledges of the 100 needed", (0, 10)),
        (97, 100, "at least 90 pledges, fewer than the 100 needed", (90, 100)),
        (2, 20, "fewer than 5 pledges of the 20 needed", (0, 5)),
        (12, 20, "between 10 and 15 pledges of the 20 needed", (10, 15)),
        (17, 20, "at least 15 pledges, fewer than the 20 needed", (15, 20)),
        # A small threshold: never "fewer than 5 pledges of the 3 needed".
        (2, 3, "fewer than the 3 pledges needed", (0, 3)),
        (0, 5, "fewer than the 5 pledges needed", (0, 5)),
        (6, 8, "at least 5 pledges, fewer than the 8 needed", (5, 8)),
    ],
)
def test_rounded_progress_hides_the_exact_count(count, threshold, text, bounds):
    shown = _shown(_campaign(count, threshold, ProgressDisplay.ROUNDED))
    assert shown.text == text
    assert shown.count is None
    assert (shown.lower, shown.upper) == bounds


@settings(max_examples=300)
@given(
    threshold=st.integers(min_value=2, max_value=20_000),
    data=st.data(),
)
def test_rounded_progress_below_the_threshold_is_true_and_below_it(threshold, data):
    count = data.draw(st.integers(min_value=0, max_value=threshold - 1))
    shown = _shown(_campaign(count, threshold, ProgressDisplay.ROUNDED))
    assert shown.lower is not None
    assert shown.upper is not None
    assert shown.lower <= count < shown.upper <= threshold
    # Every number the sentence names is one of the bounds or the threshold.
    named = {int(n) for n in re.findall(r"[0-9]+", shown.text)}
    assert named <= {shown.lower, shown.upper, threshold} - ({0} if shown.lower == 0 else set())
    assert "reached" not in shown.text


@pytest.mark.parametrize("display", list(ProgressDisplay))
def test_personal_thresholds_holding_the_reveal_are_never_called_reached(display):
    # Five pledges against a threshold of three, still open: their own thresholds are not met.
    shown = _shown(_campaign(5, 3, display))
    assert shown.stage == Stage.WAITING_FOR_PERSONAL_THRESHOLDS
    assert not shown.reached
    assert "reached" not in shown.text + shown.state_text
    assert "needed" not in shown.text  # not "5 of the 3 needed"
    assert "own conditions are met" in shown.state_text
    if display == ProgressDisplay.EXACT:
        assert shown.text == "5 pledges; the threshold is 3"
    else:
        assert shown.text == "at least 3 pledges; the threshold is 3"


@pytest.mark.parametrize(
    ("state", "can_receive", "expected", "words"),
    [
        (CampaignState.COOLING_OFF, True, Stage.COOLING_OFF, "cooling-off"),
        (CampaignState.AWAITING_GATE, True, Stage.WAITING_FOR_GATEKEEPERS, "gatekeepers"),
        (CampaignState.COOLING_OFF, False, Stage.WAITING_FOR_OWNER, "new owner"),
        (CampaignState.AWAITING_GATE, False, Stage.WAITING_FOR_OWNER, "new owner"),
        (CampaignState.REVEALING, True, Stage.REVEALING, "revealing now"),
    ],
)
def test_each_stage_after_the_threshold_says_what_holds(state, can_receive, expected, words):
    shown = _shown(_campaign(4, 3, ProgressDisplay.EXACT, state), team_can_receive=can_receive)
    assert shown.stage == expected
    assert shown.reached
    assert words in shown.state_text
    assert shown.text == "4 pledges; the threshold is 3"


def test_the_end_says_how_many_were_revealed_or_destroyed():
    revealed = _campaign(3, 3, ProgressDisplay.ROUNDED, CampaignState.REVEALED, revealed_count=3)
    assert _shown(revealed).text == "3 pledges revealed"
    assert _shown(revealed).state_text == "revealed"
    expired = _campaign(0, 3, ProgressDisplay.ROUNDED, CampaignState.EXPIRED, destroyed_count=1)
    assert _shown(expired).text == "1 pledge destroyed unread"
    assert not _shown(expired).reached
    assert _shown(expired).stage == Stage.EXPIRED


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
