"""Counting survey answers at the release, with small-cell suppression.

Pure: no database, web or keystore. `release` counts in one pass and hides what could single
someone out: every cell under k, then complementary cells (the "no answer" cell included) so
that a hidden cell cannot be worked out from the shown ones and the total; the steps of a
threshold curve next to a hidden step are hidden with it; under k answers in all, nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, cast

from organise.suppression import cells_to_suppress

QuestionType = Literal["choice", "multi", "scale", "threshold", "text"]
NO_ANSWER = "\x00none"  # the implicit cell of the people who left a question unanswered


@dataclass(frozen=True)
class CountedQuestion:
    id: str
    type: QuestionType
    options: tuple[str, ...]
    crosstab: bool = False


Answer = Mapping[str, str | int | list[str]]
Counts = dict[str, int | None]


@dataclass(frozen=True)
class QuestionCounts:
    id: str
    type: QuestionType
    counts: Counts
    cumulative: Counts | None = None


@dataclass(frozen=True)
class CrosstabCounts:
    unit: str
    question: str
    counts: dict[str, Counts]


def _values(question: CountedQuestion, answer: Answer) -> list[str]:
    value = answer.get(question.id)
    if value is None:
        return []
    if isinstance(value, list):
        return [str(item) for item in value if str(item) in question.options]
    text = str(value)
    return [text] if text in question.options else []


def _suppress(counts: dict[str, int], k: int, *, single: bool) -> Counts:
    """Shown counts, None where hidden. `single`: one answer per person, so the "no answer"
    cell completes the total and takes part in the complementary suppression."""
    if not single:
        # Several answers per person: no total to subtract from; each cell on its own.
        return {key: (count if count == 0 or count >= k else None) for key, count in counts.items()}
    hidden = cells_to_suppress(counts, k)
    return {key: None if key in hidden else count for key, count in counts.items()}


def _cumulative(counts: dict[str, int], options: tuple[str, ...], k: int) -> Counts:
    """For each N, how many said they would act at N or less: the curve, hidden where a step
    (the difference between two neighbours) would give back a hidden count."""
    ordered = sorted(options, key=int)
    running = 0
    curve: dict[str, int] = {}
    for option in ordered:
        running += counts.get(option, 0)
        curve[option] = running
    shown: Counts = {}
    previous = 0
    hide_next = False
    for option in ordered:
        step = curve[option] - previous
        small = 0 < step < k or 0 < curve[option] < k
        if small or hide_next:
            shown[option] = None
            hide_next = small
        else:
            shown[option] = curve[option]
        previous = curve[option]
    # A shown step after a hidden one would give the hidden one back with the total: hide the
    # step before a hidden step too.
    names = list(shown)
    for index, option in enumerate(names):
        if shown[option] is None and index > 0:
            before = names[index - 1]
            step_before = curve[before] - (curve[names[index - 2]] if index > 1 else 0)
            if 0 < step_before < k:
                shown[before] = None
    return shown


def release(questions: Sequence[CountedQuestion], answers: Iterable[Answer], *, k: int) -> Released:
    counted = [q for q in questions if q.type != "text"]
    units = [q for q in counted if q.type == "choice" and q.crosstab]
    totals: dict[str, dict[str, int]] = {
        q.id: dict.fromkeys((*q.options, NO_ANSWER), 0) for q in counted
    }
    pairs = [(u, q) for u in units for q in counted if q.id != u.id]
    cross: dict[tuple[str, str], dict[str, dict[str, int]]] = {
        (u.id, q.id): {
            unit: dict.fromkeys((*q.options, NO_ANSWER), 0) for unit in (*u.options, NO_ANSWER)
        }
        for u, q in pairs
    }
    responses = 0
    for answer in answers:
        responses += 1
        given = {q.id: _values(q, answer) for q in counted}
        for q in counted:
            for value in given[q.id] or [NO_ANSWER]:
                totals[q.id][value] += 1
        for u, q in pairs:
            unit = (given[u.id] or [NO_ANSWER])[0]
            for value in given[q.id] or [NO_ANSWER]:
                cross[(u.id, q.id)][unit][value] += 1
    if responses < k:
        return Released(
            responses=None,
            questions=tuple(
                QuestionCounts(
                    q.id,
                    q.type,
                    dict.fromkeys(q.options),
                    dict.fromkeys(sorted(q.options, key=int)) if q.type == "threshold" else None,
                )
                for q in counted
            ),
            crosstabs=tuple(
                CrosstabCounts(u.id, q.id, {unit: dict.fromkeys(q.options) for unit in u.options})
                for u, q in pairs
            ),
        )
    shown_questions = []
    for q in counted:
        single = q.type != "multi"
        shown = _suppress(totals[q.id], k, single=single)
        shown.pop(NO_ANSWER, None)
        curve = None
        if q.type == "threshold":
            curve = _cumulative(totals[q.id], q.options, k)
        shown_questions.append(QuestionCounts(q.id, q.type, shown, curve))
    shown_cross = []
    for u, q in pairs:
        table = cross[(u.id, q.id)]
        single = q.type != "multi"
        rows: dict[str, Counts] = {}
        for unit in u.options:
            row = _suppress(table[unit], k, single=single)
            row.pop(NO_ANSWER, None)
            rows[unit] = row
        # A column with one hidden cell could be worked out from the question's own total:
        # hide a second cell in that column.
        for option in q.options:
            hidden = [unit for unit in u.options if rows[unit][option] is None]
            if len(hidden) == 1 and len(u.options) > 1:
                others = sorted(
                    (unit for unit in u.options if rows[unit][option] is not None),
                    key=lambda unit: (table[unit][option], unit),
                )
                if others:
                    rows[others[0]][option] = None
        shown_cross.append(CrosstabCounts(u.id, q.id, rows))
    return Released(responses, tuple(shown_questions), tuple(shown_cross))


@dataclass(frozen=True)
class Released:
    responses: int | None
    questions: tuple[QuestionCounts, ...]
    crosstabs: tuple[CrosstabCounts, ...]

    def as_json(self, *, slug: str, released_at: str) -> dict[str, object]:
        questions: list[dict[str, object]] = []
        for q in self.questions:
            item: dict[str, object] = {"id": q.id, "type": q.type, "counts": dict(q.counts)}
            if q.cumulative is not None:
                item["cumulative"] = dict(q.cumulative)
            questions.append(item)
        return {
            "slug": slug,
            "released_at": released_at,
            "responses": self.responses,
            "questions": questions,
            "crosstabs": [
                {
                    "unit": c.unit,
                    "question": c.question,
                    "counts": {unit: dict(row) for unit, row in c.counts.items()},
                }
                for c in self.crosstabs
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Released:
        questions = []
        for raw in cast(list[dict[str, object]], data["questions"]):
            curve = raw.get("cumulative")
            questions.append(
                QuestionCounts(
                    str(raw["id"]),
                    cast(QuestionType, raw["type"]),
                    dict(cast(Counts, raw["counts"])),
                    None if curve is None else dict(cast(Counts, curve)),
                )
            )
        crosstabs = [
            CrosstabCounts(
                str(raw["unit"]),
                str(raw["question"]),
                {unit: dict(row) for unit, row in cast(dict[str, Counts], raw["counts"]).items()},
            )
            for raw in cast(list[dict[str, object]], data["crosstabs"])
        ]
        responses = data["responses"]
        return cls(
            responses=None if responses is None else int(cast(int, responses)),
            questions=tuple(questions),
            crosstabs=tuple(crosstabs),
        )

    def suggested_threshold(self) -> int | None:
        for q in self.questions:
            if q.type != "threshold" or q.cumulative is None:
                continue
            for option, count in sorted(q.cumulative.items(), key=lambda item: int(item[0])):
                if count is not None and count >= int(option):
                    return int(option)
        return None
