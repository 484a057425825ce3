"""A released survey as CSV (organise/surveys/results_csv.py): one row per cell, hidden empty."""

from __future__ import annotations

import csv
import io

from organise.surveys.results_csv import COLUMNS, results_csv
from organise.surveys.tables import CountedQuestion, CrosstabCounts, QuestionCounts, Released


def read(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


RELEASED = Released(
    responses=41,
    questions=(
        QuestionCounts("unit", "choice", {"infra": 30, "=ads": None}),
        QuestionCounts(
            "act_if", "threshold", {"5": 12, "10": None}, cumulative={"5": 12, "10": None}
        ),
    ),
    crosstabs=(
        CrosstabCounts("unit", "act_if", {"infra": {"5": 9, "10": None}, "=ads": {"5": None}}),
    ),
)


def test_every_cell_is_one_row_and_a_hidden_one_is_empty():
    rows = read(results_csv(RELEASED))
    assert tuple(rows[0]) == COLUMNS
    assert rows[0]["table"] == "responses"
    assert rows[0]["count"] == "41"
    by_place = {(r["table"], r["unit_option"], r["question"], r["option"]): r for r in rows}
    assert by_place[("counts", "", "unit", "infra")]["count"] == "30"
    hidden = by_place[("counts", "", "act_if", "10")]
    assert (hidden["count"], hidden["suppressed"]) == ("", "yes")
    assert by_place[("cumulative", "", "act_if", "5")]["count"] == "12"
    assert by_place[("cumulative", "", "act_if", "10")]["count"] == ""
    assert by_place[("crosstab", "infra", "act_if", "5")]["count"] == "9"
    assert by_place[("crosstab", "infra", "act_if", "10")]["suppressed"] == "yes"
    assert len(rows) == 1 + 2 + 2 + 2 + 3


def test_no_cell_can_run_as_a_formula_and_labels_are_used():
    labels = {"unit": {"infra": "@SUM(A1)", "=ads": "Ads"}, "act_if": {"5": "+5 people"}}
    text = results_csv(RELEASED, labels)
    rows = read(text)
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    units = {r["option"]: r["label"] for r in rows if r["question"] == "unit"}
    assert units == {"infra": "'@SUM(A1)", "'=ads": "Ads"}
    assert {r["unit_option"] for r in rows if r["table"] == "crosstab"} == {"infra", "'=ads"}
    assert "'+5 people" in {r["label"] for r in rows}
    assert text.endswith("\r\n")


def test_too_few_answers_leaves_every_count_empty():
    question = CountedQuestion("unit", "choice", ("infra", "ads"))
    released = Released(
        responses=None,
        questions=(QuestionCounts(question.id, "choice", dict.fromkeys(question.options)),),
        crosstabs=(),
    )
    rows = read(results_csv(released))
    assert [(r["count"], r["suppressed"]) for r in rows] == [("", "yes")] * 3
