"""Small-cell suppression: single counts, and the cells of a table (complementary)."""

from __future__ import annotations

import pytest

from organise.suppression import SMALL_CELL_K, cells_to_suppress, suppressed


@pytest.mark.parametrize("count", [0, 1, 2, 3, 4])
def test_counts_under_five_read_hidden(count):
    assert suppressed(count) == "hidden"


@pytest.mark.parametrize("count", [5, 6, 120])
def test_counts_of_five_or_more_are_shown(count):
    assert suppressed(count) == count


def test_default_k_is_five_and_k_can_be_changed():
    assert SMALL_CELL_K == 5
    assert suppressed(9, k=10) == "hidden"
    assert suppressed(10, k=10) == 10
    assert suppressed(0, k=1) == "hidden"
    assert suppressed(1, k=1) == 1


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        suppressed(3, k=0)


def test_complementary_suppression_hides_at_least_two_cells_worth_k():
    assert cells_to_suppress({"a": 3, "b": 12, "c": 40}) == {"a", "b"}
    # Two small cells worth less than k together: a third is hidden.
    assert cells_to_suppress({"a": 3, "b": 1, "c": 40, "d": 50}) == {"a", "b", "c"}
    assert cells_to_suppress({"a": 10, "b": 20}) == set()
    # A cell hidden for another reason counts towards both conditions.
    assert cells_to_suppress({"a": 10, "b": 20, "c": 30}, hidden={"b"}) == {"a", "b"}
