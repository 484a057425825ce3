"""The property of issue 16: over random surveys and random answer, change and withdraw
sequences, every shown cell equals a direct count of the final answers, and no hidden cell can
be worked out from the shown ones (tests/surveys/disclosure.py is the attacker)."""

from __future__ import annotations

from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from organise.surveys.tables import Answer, CountedQuestion, release
from tests.surveys.disclosure import attack

THRESHOLDS = (2, 3, 5, 10, 25)


@st.composite
def questions(draw: st.DrawFn) -> list[CountedQuestion]:
    made = []
    for number in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["choice", "choice", "multi", "scale", "threshold", "text"]))
        required = draw(st.booleans())
        qid = f"q{number}"
        if kind in ("choice", "multi"):
            options = tuple(f"{qid}o{j}" for j in range(draw(st.integers(1, 3))))
        elif kind == "scale":
            low = draw(st.integers(0, 3))
            options = tuple(str(v) for v in range(low, low + draw(st.integers(2, 3))))
        elif kind == "threshold":
            picked = draw(st.sets(st.sampled_from(THRESHOLDS), min_size=1, max_size=3))
            options = tuple(str(n) for n in sorted(picked))
        else:
            options = ()
        crosstab = kind == "choice" and draw(st.booleans())
        made.append(CountedQuestion(qid, kind, options, crosstab=crosstab, required=required))
    return made


def answer_for(survey: list[CountedQuestion]) -> st.SearchStrategy[dict[str, object]]:
    parts: dict[str, st.SearchStrategy[object]] = {}
    for question in survey:
        if question.type == "text":
            continue
        if question.type == "choice":
            value: st.SearchStrategy[object] = st.sampled_from(question.options)
        elif question.type in ("scale", "threshold"):
            value = st.sampled_from([int(option) for option in question.options])
        else:
            value = st.lists(
                st.sampled_from(question.options),
                unique=True,
                min_size=1 if question.required else 0,
            )
        parts[question.id] = value if question.required else st.one_of(st.none(), value)
    return st.fixed_dictionaries(parts).map(
        lambda answer: {key: value for key, value in answer.items() if value is not None}
    )


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[CountedQuestion], list[Answer], int]:
    survey = draw(questions())
    k = draw(st.integers(3, 5))
    # Answers are drawn from a small pool, so that equal answers (and small cells) are common.
    pool = draw(st.lists(answer_for(survey), min_size=1, max_size=6))
    live: list[Answer] = []
    for _ in range(draw(st.integers(0, 60))):
        step = draw(st.sampled_from(["answer", "answer", "answer", "change", "withdraw"]))
        if step == "answer" or not live:
            live.append(draw(st.sampled_from(pool)))
        elif step == "change":
            live[draw(st.integers(0, len(live) - 1))] = draw(st.sampled_from(pool))
        else:
            live.pop(draw(st.integers(0, len(live) - 1)))
    return survey, live, k


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(histories())
def test_shown_cells_are_the_direct_count_and_no_hidden_cell_can_be_worked_out(history):
    survey, answers, k = history
    note(f"{survey!r}\n{answers!r}\nk={k}")
    released = release(survey, iter(answers), k=k)
    truth, shown, solved = attack(survey, released, answers, k)
    if len(answers) < k:
        assert released.responses is None
        assert shown == {}
        return
    assert released.responses == len(answers)
    for cell, value in shown.items():
        assert truth[cell] == value, cell
    assert not solved, "\n".join(str(finding) for finding in solved)
