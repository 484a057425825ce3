"""Counting and suppression of a survey release (organise/surveys/tables.py), case by case.

The property over random surveys is in test_tables_disclosure.py; here each rule is shown on a
survey small enough to check by hand, and each suppression case is also attacked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from organise.surveys.tables import (
    Answer,
    CountedQuestion,
    CrosstabCounts,
    QuestionCounts,
    Released,
    release,
)
from tests.surveys.disclosure import attack

UNIT = CountedQuestion("unit", "choice", ("infra", "ads"), crosstab=True, required=True)
READY = CountedQuestion("ready", "scale", ("1", "2", "3"))
ISSUES = CountedQuestion("issues", "multi", ("ice", "pay"))
ACT = CountedQuestion("act_if", "threshold", ("5", "10", "25"))
WHY = CountedQuestion("why", "text", ())


def many(count: int, answer: Answer) -> list[Answer]:
    return [answer] * count


def counts(released: Released, question: str) -> dict[str, int | None]:
    found = released.question(question)
    assert found is not None
    return dict(found.counts)


def assert_nothing_solved(questions: list[CountedQuestion], released: Released, answers, k):
    truth, shown, solved = attack(questions, released, answers, k)
    assert not solved, "\n".join(map(str, solved))
    for cell, value in shown.items():
        assert truth[cell] == value


def test_large_cells_are_all_counted_per_option_per_unit_and_cumulatively():
    ready = CountedQuestion("ready", "scale", ("1", "2", "3"), required=True)
    act = CountedQuestion("act_if", "threshold", ("5", "10", "25"), required=True)
    questions = [UNIT, ready, ISSUES, act, WHY]
    ticks = (["ice"], ["ice", "pay"], ["pay"])
    answers: list[Answer] = [
        {
            "unit": ("infra", "ads")[number % 2],
            "ready": 1 + number // 2 % 3,
            "issues": ticks[number // 6 % 3],
            "act_if": (5, 10, 25)[number // 18 % 3],
        }
        for number in range(108)
    ]
    released = release(questions, iter(answers), k=5)
    assert released.responses == 108
    assert [q.id for q in released.questions] == ["unit", "ready", "issues", "act_if"]
    assert counts(released, "unit") == {"infra": 54, "ads": 54}
    assert counts(released, "ready") == {"1": 36, "2": 36, "3": 36}
    assert counts(released, "issues") == {"ice": 72, "pay": 72}
    assert counts(released, "act_if") == {"5": 36, "10": 36, "25": 36}
    curve = released.question("act_if")
    assert curve is not None
    assert curve.cumulative == {"5": 36, "10": 72, "25": 108}
    by_unit = {(c.unit, c.question): c.counts for c in released.crosstabs}
    assert list(by_unit) == [("unit", "ready"), ("unit", "issues"), ("unit", "act_if")]
    for unit in ("infra", "ads"):
        assert by_unit[("unit", "ready")][unit] == {"1": 18, "2": 18, "3": 18}
        assert by_unit[("unit", "issues")][unit] == {"ice": 36, "pay": 36}
        assert by_unit[("unit", "act_if")][unit] == {"5": 18, "10": 18, "25": 18}
    assert_nothing_solved(questions, released, answers, 5)


def test_fewer_than_k_responses_show_nothing_not_even_the_total():
    answers = many(4, {"unit": "infra", "ready": 2})
    released = release([UNIT, READY], answers, k=5)
    assert released.responses is None
    assert all(c is None for q in released.questions for c in q.counts.values())
    assert all(
        c is None for x in released.crosstabs for row in x.counts.values() for c in row.values()
    )


def test_a_small_cell_and_a_zero_read_the_same_and_a_complementary_cell_hides_them():
    # "3" was chosen by 2 people, nobody skipped: showing "1" and "2" would give "3" back.
    question = CountedQuestion("ready", "scale", ("1", "2", "3", "4"), required=True)
    answers = many(20, {"ready": 1}) + many(9, {"ready": 2}) + many(2, {"ready": 3})
    released = release([question], answers, k=5)
    shown = counts(released, "ready")
    assert shown["3"] is None
    assert shown["4"] is None
    assert shown["2"] is None  # the smallest shown cell, hidden beside them
    assert shown["1"] == 20
    assert_nothing_solved([question], released, answers, 5)


def test_the_no_answer_cell_counts_as_a_cell_unless_the_question_is_required():
    answers = many(10, {"ready": 1}) + many(12, {"ready": 2}) + many(8, {"ready": 3}) + [{}, {}]
    released = release([READY], answers, k=5)
    shown = counts(released, "ready")
    # Two people skipped: with every option shown, responses minus answers would say so.
    assert sum(count is None for count in shown.values()) >= 1
    assert_nothing_solved([READY], released, answers, 5)

    everyone = answers[:-2]
    optional = counts(release([READY], everyone, k=5), "ready")
    required = counts(
        release([CountedQuestion("ready", "scale", ("1", "2", "3"), required=True)], everyone, k=5),
        "ready",
    )
    # Nobody skipped an optional question: "0 skipped" is a small cell too.
    assert None in optional.values()
    # A required question has no skipped cell to protect: every count is shown.
    assert required == {"1": 10, "2": 12, "3": 8}


def test_a_multi_option_ticked_by_all_but_a_few_is_hidden():
    answers = many(28, {"issues": ["ice", "pay"]}) + many(2, {"issues": ["pay"]})
    released = release([ISSUES], answers, k=5)
    # 28 of 30 ticked "ice": the 2 who did not are a small cell of their own.
    assert counts(released, "issues") == {"ice": None, "pay": None}
    assert_nothing_solved([ISSUES], released, answers, 5)
    answers = many(20, {"issues": ["ice", "pay"]}) + many(10, {"issues": ["pay"]})
    released = release([ISSUES], answers, k=5)
    # The ticks of a multi question add up to nothing known: no complement is needed.
    assert counts(released, "issues") == {"ice": 20, "pay": None}


def test_a_curve_step_that_would_give_a_hidden_count_back_is_hidden_with_it():
    answers = many(12, {"act_if": 5}) + many(2, {"act_if": 10}) + many(15, {"act_if": 25})
    released = release([ACT], answers, k=5)
    act = released.question("act_if")
    assert act is not None
    assert act.counts["10"] is None
    assert act.cumulative is not None
    steps = act.cumulative
    assert steps["5"] is None or steps["10"] is None  # their difference is the hidden 2
    assert_nothing_solved([ACT], released, answers, 5)


def test_a_crosstab_cell_is_not_given_back_by_its_row_and_the_question_table():
    questions = [UNIT, READY]
    answers = (
        many(20, {"unit": "infra", "ready": 1})
        + many(3, {"unit": "infra", "ready": 2})
        + many(15, {"unit": "infra", "ready": 3})
        + many(12, {"unit": "ads", "ready": 1})
        + many(9, {"unit": "ads", "ready": 2})
        + many(10, {"unit": "ads", "ready": 3})
    )
    released = release(questions, answers, k=5)
    table = released.crosstabs[0].counts
    assert table["infra"]["2"] is None
    assert sum(count is None for count in table["infra"].values()) >= 2
    assert sum(count is None for count in (table["infra"]["2"], table["ads"]["2"])) == 2
    assert_nothing_solved(questions, released, answers, 5)


def test_two_units_are_one_table_both_ways_round():
    site = CountedQuestion("site", "choice", ("north", "south"), crosstab=True, required=True)
    answers = (
        many(20, {"unit": "infra", "site": "north"})
        + many(2, {"unit": "infra", "site": "south"})
        + many(10, {"unit": "ads", "site": "north"})
        + many(9, {"unit": "ads", "site": "south"})
    )
    released = release([UNIT, site], answers, k=5)
    one, other = released.crosstabs
    assert (one.unit, one.question, other.unit, other.question) == ("unit", "site", "site", "unit")
    for unit_option, row in one.counts.items():
        for option, count in row.items():
            assert other.counts[option][unit_option] == count
    assert one.counts["infra"]["south"] is None
    assert_nothing_solved([UNIT, site], released, answers, 5)


def test_answers_are_read_once_from_an_iterator():
    def stream() -> Iterator[Answer]:
        for number in range(30):
            yield {"ready": 1 + number % 3}

    released = release([READY], stream(), k=5)
    assert released.responses == 30


@pytest.mark.parametrize(
    "answer",
    [{"ready": 7}, {"ready": "1"}, {"issues": ["strike"]}, {"unit": ["infra"]}],
)
def test_an_answer_outside_the_options_is_refused(answer):
    with pytest.raises(ValueError, match="not one of the question's options"):
        release([UNIT, READY, ISSUES], [answer], k=3)


@pytest.mark.parametrize(
    "questions",
    [
        [READY, READY],
        [CountedQuestion("ready", "scale", ("1", "2"), crosstab=True)],
        [CountedQuestion("act", "threshold", ("10", "5"))],
        [CountedQuestion("pick", "choice", ("a", "a"))],
    ],
)
def test_a_definition_that_cannot_be_counted_is_refused(questions):
    with pytest.raises(ValueError, match=r"twice|unit|ascending|repeats"):
        release(questions, [], k=3)


def test_k_below_one_is_refused():
    with pytest.raises(ValueError, match="at least 1"):
        release([READY], [], k=0)


def test_json_round_trips_and_says_null_for_hidden():
    answers = many(12, {"act_if": 5}) + many(2, {"act_if": 10}) + many(15, {"act_if": 25})
    released = release([UNIT, ACT], [dict(a, unit="infra") for a in answers], k=5)
    data = released.as_json(slug="cloud-2027", released_at="2027-W05")
    assert data["slug"] == "cloud-2027"
    assert data["released_at"] == "2027-W05"
    assert data["responses"] == 29
    questions = data["questions"]
    assert isinstance(questions, list)
    assert questions[1]["type"] == "threshold"
    assert questions[1]["counts"]["10"] is None
    assert set(questions[1]["cumulative"]) == {"5", "10", "25"}
    assert "cumulative" not in questions[0]
    assert Released.from_json(data) == released


@pytest.mark.parametrize(
    "broken",
    [
        {"responses": -1, "questions": [], "crosstabs": []},
        {"responses": 5, "questions": "none", "crosstabs": []},
        {
            "responses": 5,
            "questions": [{"id": "a", "type": "essay", "counts": {}}],
            "crosstabs": [],
        },
        {"responses": 5, "questions": [{"id": "a", "type": "choice", "counts": {"x": 1.5}}]},
        {"responses": 5, "questions": [], "crosstabs": [{"unit": "u", "question": "q"}]},
    ],
)
def test_json_of_another_shape_is_refused(broken):
    with pytest.raises(ValueError, match=r"must be|unknown question type"):
        Released.from_json(broken)


def threshold_release(cumulative: dict[str, int | None]) -> Released:
    return Released(
        responses=60,
        questions=(
            QuestionCounts(
                "act_if", "threshold", dict.fromkeys(cumulative, None), cumulative=cumulative
            ),
        ),
        crosstabs=(),
    )


def test_the_suggested_threshold_is_the_smallest_n_that_enough_people_would_act_at():
    assert threshold_release({"5": 3, "10": 12, "25": 30}).suggested_threshold() == 10
    assert threshold_release({"5": 6, "10": 12, "25": 30}).suggested_threshold() == 5
    assert threshold_release({"5": 3, "10": 8, "25": 20}).suggested_threshold() is None


def test_the_suggested_threshold_never_guesses_a_hidden_step():
    assert threshold_release({"5": None, "10": None, "25": 30}).suggested_threshold() == 25
    assert threshold_release({"5": None, "10": None}).suggested_threshold() is None
    assert Released(responses=None, questions=(), crosstabs=()).suggested_threshold() is None


def test_the_attacker_finds_what_hiding_small_cells_alone_gives_away():
    """The checker can fail: a release that hides only the small cells is caught."""
    question = CountedQuestion("ready", "scale", ("1", "2", "3"), required=True)
    answers = many(20, {"ready": 1}) + many(9, {"ready": 2}) + many(2, {"ready": 3})
    naive = Released(
        responses=31,
        questions=(QuestionCounts("ready", "scale", {"1": 20, "2": 9, "3": None}),),
        crosstabs=(),
    )
    _, _, solved = attack([question], naive, answers, 5)
    assert [(finding.cell, finding.low, finding.high) for finding in solved] == [
        (("q", "ready", "3"), 2, 2),
        (("q", "ready", "3"), 2, 2),
    ]
    # A crosstab cell given back by its unit's count minus the rest of its row.
    ready = CountedQuestion("ready", "scale", ("1", "2"), required=True)
    answers = many(10, {"unit": "infra", "ready": 1}) + many(2, {"unit": "ads", "ready": 1})
    answers += many(10, {"unit": "ads", "ready": 2})
    naive = Released(
        responses=22,
        questions=(
            QuestionCounts("unit", "choice", {"infra": 10, "ads": 12}),
            QuestionCounts("ready", "scale", {"1": 12, "2": 10}),
        ),
        crosstabs=(
            CrosstabCounts(
                "unit", "ready", {"infra": {"1": 10, "2": None}, "ads": {"1": None, "2": 10}}
            ),
        ),
    )
    _, _, solved = attack([UNIT, ready], naive, answers, 5)
    found = {(finding.cell, finding.low, finding.high) for finding in solved}
    assert (("x", "unit", "ads", "ready", "1"), 2, 2) in found
    assert (("x", "unit", "infra", "ready", "2"), 0, 0) in found


def test_the_worked_example_of_the_docs():
    """docs/surveys.md, "A worked example": the same answers, the same release."""
    unit = CountedQuestion(
        "unit", "choice", ("infra", "ads", "cloud"), crosstab=True, required=True
    )
    act = CountedQuestion("act_if", "threshold", ("5", "10", "25"))
    table = {
        "infra": {5: 9, 10: 6, 25: 7, None: 5},
        "ads": {5: 8, 10: 2, 25: 6, None: 0},
        "cloud": {5: 5, 10: 0, 25: 6, None: 1},
    }
    answers: list[Answer] = [
        {"unit": place} | ({} if n is None else {"act_if": n})
        for place, row in table.items()
        for n, people in row.items()
        for _ in range(people)
    ]
    released = release([unit, act], answers, k=5)
    assert released.responses == 55
    assert counts(released, "unit") == {"infra": 27, "ads": 16, "cloud": 12}
    assert counts(released, "act_if") == {"5": 22, "10": 8, "25": 19}
    curve = released.question("act_if")
    assert curve is not None
    assert curve.cumulative == {"5": 22, "10": 30, "25": 49}
    assert released.crosstabs[0].counts == {
        "infra": {"5": None, "10": None, "25": None},
        "ads": {"5": 8, "10": None, "25": None},
        "cloud": {"5": None, "10": None, "25": 6},
    }
    assert_nothing_solved([unit, act], released, answers, 5)


def test_the_spare_ticks_of_a_required_multi_question_are_protected_like_any_small_count():
    """Unit A: 13 people, 7 tick x and 7 tick y — so exactly one ticked both. Shown together,
    A, A×x and A×y would single that person out as a group of one."""
    questions = [
        CountedQuestion("unit", "choice", ("A", "B"), crosstab=True, required=True),
        CountedQuestion("pick", "multi", ("x", "y"), required=True),
    ]
    answers: list[dict[str, str | int | list[str]]] = [
        *[{"unit": "A", "pick": ["x"]}] * 6,
        *[{"unit": "A", "pick": ["y"]}] * 6,
        {"unit": "A", "pick": ["x", "y"]},
        *[{"unit": "B", "pick": ["x"]}] * 7,
        *[{"unit": "B", "pick": ["y"]}] * 6,
    ]
    released = release(questions, answers, k=5).as_json(slug="s", released_at="w")
    units = released["questions"][0]["counts"]
    picks = released["questions"][1]["counts"]
    [table] = released["crosstabs"]
    for unit in ("A", "B"):
        row = table["counts"][unit]
        shown = (units[unit], row["x"], row["y"])
        if None not in shown:
            spare = row["x"] + row["y"] - units[unit]
            assert spare >= 5, (unit, shown)
    if None not in (released["responses"], picks["x"], picks["y"]):
        assert picks["x"] + picks["y"] - released["responses"] >= 5
