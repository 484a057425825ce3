"""A survey's release: its answers counted once, in memory, and only the suppressed tables kept.

`release` counts every non-text question per option and, for each `choice` question marked
`crosstab` (a unit: team, site), every other non-text question per unit option; a `threshold`
question adds its cumulative curve ("how many would act if N did": answers with N_i <= N). Then
it hides, in every table at once:

1. **Small cells**: every published cell under k, zero included (a zero would tell that nobody in
   a unit chose something, and "hidden" must not tell a zero from a small count).
2. **Complementary cells**, so that no hidden cell can be worked out from what is shown. Every
   count the release implies takes part, not only the printed ones: the "no answer" cell of each
   question (responses minus those who answered), the "did not tick" cell of each `multi`
   option (responses minus those who ticked it), the no-answer rows and columns of each crosstab,
   and the steps of the cumulative curve. All of them are cells of one pool, tied by the sums a
   reader knows (a question's options and its no-answer cell add up to the responses; a crosstab
   row adds up to its unit's count, a column to the option's count; a curve step is the step
   before plus the count at that N). A cell is hidden in every table it appears in, or in none.
   The release then audits the pool as a reader would: integer bounds from zero to the number
   of responses, narrowed through every sum and then through the exact reduced row echelon
   form of the sums (every combination a reader could add or subtract). Safe means: a hidden
   cell under k, and any no-answer or did-not-tick cell under k, can still be 0 and can still
   be k or more; a hidden cell of k or more can still take more than k values. While a cell is
   not safe, one more shown cell in a sum with it is hidden (the cheapest to lose: one that
   leaves no other sum with a lone unknown, in the fewest tables, the smallest) and the audit
   runs again. Hiding one cell too many costs a number; a cell worked out costs a person.
3. **Too few answers**: fewer than k responses in all, and nothing is shown, not even the total.

Pure: the standard library only (docs/surveys.md, "Suppression", gives the argument and a worked
example; tests/surveys/disclosure.py attacks the result independently).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import lcm
from typing import Literal, cast

QuestionType = Literal["choice", "multi", "scale", "threshold", "text"]
QUESTION_TYPES: tuple[QuestionType, ...] = ("choice", "multi", "scale", "threshold", "text")

# One response as opened at release: question id -> value; a question left unanswered is absent.
# choice: str option id; multi: list[str] of option ids (no duplicates); scale: int;
# threshold: int (one of the N); text answers are not passed in.
Answer = Mapping[str, str | int | list[str]]
Counts = Mapping[str, int | None]

# Bound propagation stops after this many sweeps; a cell still narrowing then counts as at risk.
_MAX_SWEEPS = 200


@dataclass(frozen=True)
class CountedQuestion:
    id: str  # question identifier from the definition
    type: QuestionType
    options: tuple[str, ...]  # choice/multi: option ids in definition order;
    # scale: str(v) for v in min..max; threshold: str(N) ascending; text: ()
    crosstab: bool = False  # only for "choice": other questions are also counted per unit
    # Answered in every response (the form refuses a response without it): a reader knows its
    # "no answer" cell is 0, so there is none to protect. False is always safe.
    required: bool = False


@dataclass(frozen=True)
class QuestionCounts:
    id: str
    type: QuestionType
    counts: Counts  # option -> count, None when hidden; definition order
    cumulative: Counts | None = None  # threshold only: str(N) -> answers with N_i <= N

    def as_json(self) -> dict[str, object]:
        data: dict[str, object] = {"id": self.id, "type": self.type, "counts": dict(self.counts)}
        if self.cumulative is not None:
            data["cumulative"] = dict(self.cumulative)
        return data


@dataclass(frozen=True)
class CrosstabCounts:
    unit: str  # the unit question (a choice marked crosstab)
    question: str  # the question counted per unit option
    counts: Mapping[str, Counts]  # unit option -> option -> count, None when hidden

    def as_json(self) -> dict[str, object]:
        return {
            "unit": self.unit,
            "question": self.question,
            "counts": {unit: dict(row) for unit, row in self.counts.items()},
        }


@dataclass(frozen=True)
class Released:
    responses: int | None  # None: fewer than k responses, nothing shown
    questions: tuple[QuestionCounts, ...]  # every non-text question, definition order
    crosstabs: tuple[CrosstabCounts, ...]  # (unit question, other question) pairs

    def as_json(self, *, slug: str, released_at: str) -> dict[str, object]:
        """{"slug", "released_at", "responses": int|None, "questions": [{"id", "type",
        "counts": {option: int|None}} (+ "cumulative": {N: int|None} for threshold)],
        "crosstabs": [{"unit": QID, "question": QID, "counts": {unit_option: {option:
        int|None}}}]}. None means suppressed."""
        return {
            "slug": slug,
            "released_at": released_at,
            "responses": self.responses,
            "questions": [question.as_json() for question in self.questions],
            "crosstabs": [crosstab.as_json() for crosstab in self.crosstabs],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Released:
        """The value `as_json` wrote (slug and released_at are the caller's); ValueError if the
        document is not of that shape."""
        responses = data.get("responses")
        if responses is not None and not _is_count(responses):
            raise ValueError("responses must be a whole number or null")
        questions = []
        for item in _items(data.get("questions"), "questions"):
            kind = item.get("type")
            if kind not in QUESTION_TYPES or kind == "text":
                raise ValueError(f"unknown question type {kind!r}")
            cumulative = item.get("cumulative")
            questions.append(
                QuestionCounts(
                    id=_text(item.get("id"), "question id"),
                    type=cast(QuestionType, kind),
                    counts=_counts(item.get("counts")),
                    cumulative=None if cumulative is None else _counts(cumulative),
                )
            )
        crosstabs = []
        for item in _items(data.get("crosstabs"), "crosstabs"):
            rows = item.get("counts")
            if not isinstance(rows, Mapping):
                raise ValueError("crosstab counts must be an object")
            crosstabs.append(
                CrosstabCounts(
                    unit=_text(item.get("unit"), "crosstab unit"),
                    question=_text(item.get("question"), "crosstab question"),
                    counts={_text(unit, "unit option"): _counts(row) for unit, row in rows.items()},
                )
            )
        return cls(
            responses=cast(int | None, responses),
            questions=tuple(questions),
            crosstabs=tuple(crosstabs),
        )

    def question(self, question_id: str) -> QuestionCounts | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def suggested_threshold(self, question_id: str | None = None) -> int | None:
        """Smallest N of a threshold question (the first one, unless named) at which the shown
        cumulative count of people who would act is >= N; None when no shown step qualifies.
        Uses shown numbers only: a hidden step is never guessed at."""
        for question in self.questions:
            if question.type != "threshold" or question_id not in (None, question.id):
                continue
            steps = sorted((int(n), count) for n, count in (question.cumulative or {}).items())
            for n, count in steps:
                if count is not None and count >= n:
                    return n
            return None
        return None


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be a string")
    return value


def _items(value: object, what: str) -> list[Mapping[str, object]]:
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise ValueError(f"{what} must be a list of objects")
    return cast(list[Mapping[str, object]], value)


def _counts(value: object) -> dict[str, int | None]:
    if not isinstance(value, Mapping):
        raise ValueError("counts must be an object")
    counts: dict[str, int | None] = {}
    for option, count in value.items():
        if count is not None and not _is_count(count):
            raise ValueError("a count must be a whole number or null")
        counts[_text(option, "option")] = count
    return counts


# ---- Counting: one pass over the answers, tables of whole numbers -------------------------


def _option_index(question: CountedQuestion) -> dict[object, int]:
    """Answer value -> position of its option (scale and threshold answers are whole numbers)."""
    if question.type in ("scale", "threshold"):
        return {int(option): position for position, option in enumerate(question.options)}
    return {option: position for position, option in enumerate(question.options)}


@dataclass
class _Tally:
    responses: int
    counts: dict[str, list[int]]  # question -> per option
    # (unit, question) -> per unit option -> per option
    crosstabs: dict[tuple[str, str], list[list[int]]]


def _check_definition(questions: Sequence[CountedQuestion]) -> None:
    seen: set[str] = set()
    for question in questions:
        if question.id in seen:
            raise ValueError(f"question {question.id!r} appears twice")
        seen.add(question.id)
        if question.type not in QUESTION_TYPES:
            raise ValueError(f"question {question.id!r} has an unknown type {question.type!r}")
        if question.crosstab and question.type != "choice":
            raise ValueError(f"only a choice question can be a unit; {question.id!r} is not")
        if len(set(question.options)) != len(question.options):
            raise ValueError(f"question {question.id!r} repeats an option")
        if question.type in ("scale", "threshold"):
            numbers = [int(option) for option in question.options]
            if numbers != sorted(numbers) or [str(n) for n in numbers] != list(question.options):
                raise ValueError(f"question {question.id!r}: options must be ascending numbers")


def count(questions: Sequence[CountedQuestion], answers: Iterable[Answer]) -> _Tally:
    """Every non-text question per option, and per unit option for each declared unit, in one
    pass; memory is the tables alone, whatever the number of answers."""
    counted = [question for question in questions if question.type != "text"]
    plain = [(q.id, q.type == "multi", _option_index(q), [0] * len(q.options)) for q in counted]
    units = []
    crosstabs: dict[tuple[str, str], list[list[int]]] = {}
    for unit in counted:
        if not unit.crosstab:
            continue
        others = []
        for other in counted:
            if other.id == unit.id:
                continue
            table = [[0] * len(other.options) for _ in unit.options]
            crosstabs[(unit.id, other.id)] = table
            others.append((other.id, other.type == "multi", _option_index(other), table))
        units.append((unit.id, _option_index(unit), others))
    responses = 0
    try:
        for answer in answers:
            responses += 1
            for question_id, multi, index, tally in plain:
                value = answer.get(question_id)
                if value is None:
                    continue
                if multi:
                    for option in cast(list[str], value):
                        tally[index[option]] += 1
                else:
                    tally[index[value]] += 1
            for unit_id, unit_index, others in units:
                unit_value = answer.get(unit_id)
                if unit_value is None:
                    continue
                row = unit_index[unit_value]
                for question_id, multi, index, table in others:
                    value = answer.get(question_id)
                    if value is None:
                        continue
                    cells = table[row]
                    if multi:
                        for option in cast(list[str], value):
                            cells[index[option]] += 1
                    else:
                        cells[index[value]] += 1
    except (KeyError, TypeError) as wrong:
        raise ValueError(f"an answer is not one of the question's options: {wrong}") from None
    return _Tally(
        responses=responses,
        counts={question_id: tally for question_id, _, _, tally in plain},
        crosstabs=crosstabs,
    )


# ---- The pool of cells and the sums that tie them -------------------------------------------

TOTAL = 0  # the number of responses: cell 0, always shown once anything is


class _Pool:
    """Every count the release implies, each once, and the sums a reader knows between them.

    A sum is stored as (plus, minus): the cells of `plus` add up to those of `minus`. Explicit
    cells are printed (or hidden); implicit ones are never printed but are implied by the
    printed ones (no-answer and did-not-tick cells); slack cells stand for what a reader knows
    only as an inequality (a required `multi` question has at least one tick per response)."""

    def __init__(self, responses: int) -> None:
        self.value: list[int] = []
        self.explicit: list[bool] = []
        self.slack: list[bool] = []
        self.upper: list[int] = []
        self.index: dict[tuple[object, ...], int] = {}
        self.sums: list[tuple[tuple[int, ...], tuple[int, ...]]] = []
        self._seen_sums: set[tuple[tuple[int, ...], tuple[int, ...]]] = set()
        self.responses = responses
        self.cell(("total",), responses, explicit=True)

    def cell(
        self,
        key: tuple[object, ...],
        value: int,
        *,
        explicit: bool,
        slack: bool = False,
        upper: int | None = None,
    ) -> int:
        found = self.index.get(key)
        if found is not None:
            return found
        if value < 0:
            raise ValueError("the counts disagree with each other (a negative cell)")
        self.value.append(value)
        self.explicit.append(explicit)
        self.slack.append(slack)
        self.upper.append(self.responses if upper is None else upper)
        self.index[key] = len(self.value) - 1
        return len(self.value) - 1

    def add_sum(self, plus: Sequence[int], minus: Sequence[int], *, check: bool = True) -> None:
        if check and sum(self.value[c] for c in plus) != sum(self.value[c] for c in minus):
            raise ValueError("the counts disagree with each other (a sum does not hold)")
        key = (tuple(sorted(plus)), tuple(sorted(minus)))
        if key not in self._seen_sums:
            self._seen_sums.add(key)
            self.sums.append(key)


@dataclass(frozen=True)
class _Layout:
    """Where each printed number of the release sits in the pool."""

    counts: dict[str, list[int]]  # question -> cell per option
    cumulative: dict[str, list[int]]  # threshold question -> cell per step
    crosstabs: dict[tuple[str, str], list[list[int]]]  # (unit, question) -> rows of cells


def _no_answer(question: CountedQuestion, answered: int, responses: int) -> bool:
    """Whether the question has a no-answer cell a reader does not already know to be 0."""
    return not question.required or answered != responses


def _build(questions: Sequence[CountedQuestion], tally: _Tally) -> tuple[_Pool, _Layout]:
    pool = _Pool(tally.responses)
    responses = tally.responses
    counted = [question for question in questions if question.type != "text"]
    position = {question.id: number for number, question in enumerate(counted)}
    counts: dict[str, list[int]] = {}
    cumulative: dict[str, list[int]] = {}
    # Row totals of a question as a unit: cell per option, then the no-answer cell if any.
    margins: dict[str, list[int]] = {}
    # multi: question -> (ticked cell per option, did-not-tick cell per option)
    ticks: dict[str, tuple[list[int], list[int]]] = {}
    for question in counted:
        values = tally.counts[question.id]
        cells = [
            pool.cell(("count", question.id, option), value, explicit=True)
            for option, value in zip(question.options, values, strict=True)
        ]
        counts[question.id] = cells
        if question.type == "multi":
            missing = [
                pool.cell(("not ticked", question.id, option), responses - value, explicit=False)
                for option, value in zip(question.options, values, strict=True)
            ]
            for yes, no in zip(cells, missing, strict=True):
                pool.add_sum((yes, no), (TOTAL,))
            ticks[question.id] = (cells, missing)
            if question.required and sum(values) >= responses:
                spare = pool.cell(
                    ("spare ticks", question.id),
                    sum(values) - responses,
                    explicit=False,
                    slack=True,
                    upper=responses * max(1, len(values)),
                )
                pool.add_sum(cells, (TOTAL, spare))
            continue
        row = list(cells)
        if _no_answer(question, sum(values), responses):
            row.append(
                pool.cell(("no answer", question.id), responses - sum(values), explicit=False)
            )
        pool.add_sum(row, (TOTAL,))
        margins[question.id] = row
        if question.type == "threshold":
            steps: list[int] = []
            running = 0
            for option, cell, value in zip(question.options, cells, values, strict=True):
                running += value
                step = pool.cell(("cumulative", question.id, option), running, explicit=True)
                pool.add_sum((*steps[-1:], cell), (step,))
                steps.append(step)
            cumulative[question.id] = steps
    crosstabs: dict[tuple[str, str], list[list[int]]] = {}
    for unit in counted:
        if not unit.crosstab:
            continue
        unit_rows = margins[unit.id]
        for other in counted:
            if other.id == unit.id:
                continue
            table = tally.crosstabs[(unit.id, other.id)]
            crosstabs[(unit.id, other.id)] = _crosstab(
                pool, unit, other, table, unit_rows, margins, ticks, position
            )
    units = [question for question in counted if question.crosstab]
    for number, first in enumerate(units):
        for second in units[number + 1 :]:
            for other in counted:
                if other.id not in (first.id, second.id):
                    _three_way(pool, (first, second, other), margins, position)
    return pool, _Layout(counts=counts, cumulative=cumulative, crosstabs=crosstabs)


def _three_way(
    pool: _Pool,
    trio: tuple[CountedQuestion, CountedQuestion, CountedQuestion],
    margins: dict[str, list[int]],
    position: dict[str, int],
) -> None:
    """With two units A and B, the tables A x Q, B x Q and A x B are three views of one
    unpublished table A x B x Q, whose cells cannot be negative: that bounds the shown ones a
    little more (at least "A and B" + "B and Q" - "B" people are in "A and Q"). Its cells join
    the pool as unknowns that are never shown and need no protection (their true counts are not
    counted: nothing reads them)."""
    first, second, other = trio

    def slots(question: CountedQuestion) -> list[int]:
        # Option positions, and -1 for the no-answer row when the question has one.
        has_no_answer = question.type != "multi" and len(margins[question.id]) > len(
            question.options
        )
        return list(range(len(question.options))) + ([-1] if has_no_answer else [])

    def two_way(one: CountedQuestion, a: int, two: CountedQuestion, b: int) -> int:
        return pool.index[("cross", *sorted(((position[one.id], a), (position[two.id], b))))]

    def answered(column: tuple[int, str]) -> tuple[object, ...]:
        return (column[1],) if column[1] else ()

    if other.type == "multi":
        columns = [
            (o, tick) for o in range(len(other.options)) for tick in ("ticked", "not ticked")
        ]
    else:
        columns = [(q, "") for q in slots(other)]

    def with_other(unit: CountedQuestion, u: int, column: tuple[int, str]) -> int:
        key = sorted(((position[unit.id], u), (position[other.id], column[0])))
        return pool.index[("cross", *key, *answered(column))]

    upper = pool.responses
    grid: dict[tuple[int, int, tuple[int, str]], int] = {}
    for a in slots(first):
        for b in slots(second):
            for column in columns:
                grid[(a, b, column)] = pool.cell(
                    ("three", first.id, a, second.id, b, other.id, *column),
                    0,
                    explicit=False,
                    slack=True,
                    upper=upper,
                )
    for a in slots(first):
        for b in slots(second):
            if other.type == "multi":
                for o in range(len(other.options)):
                    cells = [grid[(a, b, (o, tick))] for tick in ("ticked", "not ticked")]
                    pool.add_sum(cells, (two_way(first, a, second, b),), check=False)
            else:
                cells = [grid[(a, b, column)] for column in columns]
                pool.add_sum(cells, (two_way(first, a, second, b),), check=False)
        for column in columns:
            cells = [grid[(a, b, column)] for b in slots(second)]
            pool.add_sum(cells, (with_other(first, a, column),), check=False)
    for b in slots(second):
        for column in columns:
            cells = [grid[(a, b, column)] for a in slots(first)]
            pool.add_sum(cells, (with_other(second, b, column),), check=False)


def _crosstab(
    pool: _Pool,
    unit: CountedQuestion,
    other: CountedQuestion,
    table: list[list[int]],
    unit_rows: list[int],
    margins: dict[str, list[int]],
    ticks: dict[str, tuple[list[int], list[int]]],
    position: dict[str, int],
) -> list[list[int]]:
    """The cells of one crosstab and its sums; returns the printed cells, row by row.

    Rows are the unit's options and, when the unit has one, its no-answer row; the sums of each
    row are the unit's own counts. The same pair counted the other way round (two units) is the
    same cells, so it is hidden the same way."""
    values = pool.value
    row_count = len(unit_rows)
    unit_slot = position[unit.id]
    other_slot = position[other.id]

    def key(row: int, column: int, *extra: object) -> tuple[object, ...]:
        # row/column: an option's position, or -1 for the no-answer row/column.
        pair = sorted(((unit_slot, row), (other_slot, column)))
        return ("cross", *pair, *extra)

    def real(row: int) -> int:
        return row if row < len(unit.options) else -1

    printed: list[list[int]] = []
    if other.type == "multi":
        yes_totals, no_totals = ticks[other.id]
        yes_grid: list[list[int]] = []
        for row in range(row_count):
            yes_row = []
            for column in range(len(other.options)):
                if row < len(unit.options):
                    yes = table[row][column]
                else:
                    yes = values[yes_totals[column]] - sum(r[column] for r in table)
                yes_cell = pool.cell(
                    key(real(row), column, "ticked"), yes, explicit=row < len(unit.options)
                )
                no_cell = pool.cell(
                    key(real(row), column, "not ticked"),
                    values[unit_rows[row]] - yes,
                    explicit=False,
                )
                pool.add_sum((yes_cell, no_cell), (unit_rows[row],))
                yes_row.append(yes_cell)
            yes_grid.append(yes_row)
            if other.required and sum(values[c] for c in yes_row) >= values[unit_rows[row]]:
                spare = pool.cell(
                    ("spare ticks", other.id, unit.id, real(row)),
                    sum(values[c] for c in yes_row) - values[unit_rows[row]],
                    explicit=False,
                    slack=True,
                    upper=pool.responses * max(1, len(other.options)),
                )
                pool.add_sum(yes_row, (unit_rows[row], spare))
        for column in range(len(other.options)):
            pool.add_sum([yes_grid[row][column] for row in range(row_count)], (yes_totals[column],))
            no_column = [
                pool.index[key(real(row), column, "not ticked")] for row in range(row_count)
            ]
            pool.add_sum(no_column, (no_totals[column],))
        printed = yes_grid[: len(unit.options)]
        return printed
    other_columns = margins[other.id]
    grid: list[list[int]] = []
    for row in range(row_count):
        cells = []
        for column in range(len(other_columns)):
            if row < len(unit.options) and column < len(other.options):
                value = table[row][column]
            elif row < len(unit.options):  # no-answer column of a unit row
                value = values[unit_rows[row]] - sum(table[row])
            elif column < len(other.options):  # no-answer row of an option column
                value = values[other_columns[column]] - sum(r[column] for r in table)
            else:  # neither answered
                answered_other = sum(values[c] for c in other_columns[: len(other.options)])
                value = values[unit_rows[row]] - (answered_other - sum(sum(r) for r in table))
            column_slot = column if column < len(other.options) else -1
            cells.append(
                pool.cell(
                    key(real(row), column_slot),
                    value,
                    explicit=row < len(unit.options) and column < len(other.options),
                )
            )
        pool.add_sum(cells, (unit_rows[row],))
        grid.append(cells)
    for column in range(len(other_columns)):
        pool.add_sum([grid[row][column] for row in range(row_count)], (other_columns[column],))
    printed = [row[: len(other.options)] for row in grid[: len(unit.options)]]
    return printed


# ---- Suppression: hide small cells, then audit as a reader would and hide more -------------


Row = tuple[dict[int, int], int]  # sum of coefficient * cell over unknown cells = constant


class _Audit:
    """What a reader can work out about the unknown cells (hidden or implicit) of a pool."""

    def __init__(self, pool: _Pool, hidden: list[bool], public: list[bool]) -> None:
        self.pool = pool
        self.unknown = [
            (hidden[c] or not pool.explicit[c]) and not public[c] for c in range(len(pool.value))
        ]
        self.rows: list[Row] = []
        for plus, minus in pool.sums:
            row: dict[int, int] = {}
            constant = 0
            for cells, sign in ((plus, 1), (minus, -1)):
                for c in cells:
                    if self.unknown[c]:
                        row[c] = row.get(c, 0) + sign
                    else:
                        constant -= sign * pool.value[c]
            row = {c: v for c, v in row.items() if v}
            if row:
                self.rows.append((row, constant))

    def bounds(self, *, combined: bool = False) -> tuple[list[int], list[int], set[int]]:
        """Each cell's range: every cell from 0 to its upper limit, narrowed through every sum
        until nothing moves (integer interval propagation; sound at every sweep). `combined`:
        through the reduced row echelon form of the sums too, which catches what only a
        combination of sums gives away. Also returns the cells still narrowing when the sweeps
        ran out (none, unless the sums are unusually tangled)."""
        pool, unknown = self.pool, self.unknown
        size = len(pool.value)
        low = [0 if unknown[c] else pool.value[c] for c in range(size)]
        high = [pool.upper[c] if unknown[c] else pool.value[c] for c in range(size)]
        rows = self.rows + (_echelon(self.rows) if combined else [])
        moving: set[int] = set()
        for _ in range(_MAX_SWEEPS):
            moved = False
            moving.clear()
            for row, constant in rows:
                least = sum(v * (low[c] if v > 0 else high[c]) for c, v in row.items())
                most = sum(v * (high[c] if v > 0 else low[c]) for c, v in row.items())
                for c, v in row.items():
                    # v * c = constant - (the rest), the rest within [least, most] minus c's part
                    rest_least = least - v * (low[c] if v > 0 else high[c])
                    rest_most = most - v * (high[c] if v > 0 else low[c])
                    top, bottom = constant - rest_least, constant - rest_most
                    if v > 0:
                        new_low, new_high = -(-bottom // v), top // v
                    else:
                        new_low, new_high = -(-top // v), bottom // v
                    if new_low > low[c]:
                        low[c], moved = new_low, True
                        moving.add(c)
                    if new_high < high[c]:
                        high[c], moved = new_high, True
                        moving.add(c)
            if not moved:
                break
        else:
            # Still narrowing after every sweep: the caller treats these cells as possibly
            # worked out rather than trust a loose range.
            return low, high, moving
        return low, high, set()


def _echelon(rows: list[Row]) -> list[Row]:
    """The reduced row echelon form of the sums (exact fractions), each row scaled back to
    whole coefficients."""
    pivots: list[tuple[int, dict[int, Fraction], Fraction]] = []
    for integers, whole in rows:
        row = {c: Fraction(v) for c, v in integers.items()}
        constant = Fraction(whole)
        for lead, pivot, pivot_constant in pivots:
            factor = row.get(lead)
            if factor:
                for c, v in pivot.items():
                    row[c] = row.get(c, Fraction(0)) - factor * v
                constant -= factor * pivot_constant
                row = {c: v for c, v in row.items() if v}
        if not row:
            continue
        lead = min(row)
        scale = row[lead]
        row = {c: v / scale for c, v in row.items()}
        constant /= scale
        updated = []
        for other, pivot, pivot_constant in pivots:
            factor = pivot.get(lead)
            if factor:
                for c, v in row.items():
                    pivot[c] = pivot.get(c, Fraction(0)) - factor * v
                pivot_constant -= factor * constant
                pivot = {c: v for c, v in pivot.items() if v}
            updated.append((other, pivot, pivot_constant))
        pivots = [*updated, (lead, row, constant)]
    whole_rows: list[Row] = []
    for _, row, constant in pivots:
        multiple = lcm(*(v.denominator for v in row.values()), constant.denominator)
        whole_rows.append(
            ({c: int(v * multiple) for c, v in row.items()}, int(constant * multiple))
        )
    return whole_rows


def _safe(value: int, low: int, high: int, k: int) -> bool:
    """A protected cell under k may still be 0 and may still be k or more; one of k or more
    may still take more than k values (so it is neither pinned nor shown to be small)."""
    if value < k:
        return low == 0 and high >= k
    return high - low >= k


def suppress(pool: _Pool, k: int) -> list[bool]:
    """Which cells of the pool to hide: small cells, then complementary ones until every
    protected cell is safe from the reader's bounds and from linear algebra."""
    size = len(pool.value)
    # Cells the definition and the total alone give away (the one option of a required
    # question): public whatever is hidden, so never hidden and never protected.
    nothing = [False] * size
    low, high, unsettled = _Audit(pool, [c != TOTAL for c in range(size)], nothing).bounds()
    public = [low[c] == high[c] and not pool.slack[c] and c not in unsettled for c in range(size)]
    hidden = [
        pool.explicit[c] and c != TOTAL and pool.value[c] < k and not public[c] for c in range(size)
    ]
    # Slack cells too: a required multi question's spare ticks under k would say how many
    # (with two options, exactly how many) ticked more than one box, a group under k.
    protected = [hidden[c] or (not pool.explicit[c] and pool.value[c] < k) for c in range(size)]
    protected = [protected[c] and not public[c] for c in range(size)]
    sums_of: list[list[int]] = [[] for _ in range(size)]
    for number, (plus, minus) in enumerate(pool.sums):
        for c in (*plus, *minus):
            sums_of[c].append(number)
    while True:
        audit = _Audit(pool, hidden, public)
        # The quick audit (each sum alone) while it finds anything; then the thorough one.
        for combined in (False, True):
            low, high, unsettled = audit.bounds(combined=combined)
            at_risk = [
                c
                for c in range(size)
                if (protected[c] or hidden[c])
                and (c in unsettled or not _safe(pool.value[c], low[c], high[c], k))
            ]
            if at_risk:
                break
        else:
            return hidden
        hideable = [
            pool.explicit[c] and not hidden[c] and not public[c] and c != TOTAL for c in range(size)
        ]
        added = _cover(pool, hideable, audit.unknown, sums_of, at_risk)
        if not added:
            return hidden  # nothing left to hide around them: only the total is shown
        for c in added:
            hidden[c] = protected[c] = True


def _cover(
    pool: _Pool,
    hideable: list[bool],
    unknown: list[bool],
    sums_of: list[list[int]],
    at_risk: list[int],
) -> set[int]:
    """The next cell to hide: the cheapest to lose of the shown cells in a sum with the first
    cell at risk that has any (one cell a round, so each choice sees the audit of the last).
    If no sum of a cell at risk has a shown cell, the sums one step further; if none anywhere,
    everything."""
    unknowns_in = [sum(unknown[c] for c in (*plus, *minus)) for plus, minus in pool.sums]

    def candidates(number: int) -> list[int]:
        plus, minus = pool.sums[number]
        return [c for c in (*plus, *minus) if hideable[c]]

    def cost(c: int) -> tuple[int, int, int, int]:
        # A sum with no unknown yet would get a lone one (worked out at once); a cell in many
        # sums is a margin, shown in several tables (the question's own counts): both last.
        lonely = sum(1 for number in sums_of[c] if unknowns_in[number] == 0)
        return (lonely, len(sums_of[c]), pool.value[c], c)

    # The first cell at risk (the questions' own cells come before the crosstabs') that a
    # shown cell of one of its sums can cover.
    for cell in at_risk:
        options = [c for number in sums_of[cell] for c in candidates(number)]
        if options:
            return {min(options, key=cost)}
    for cell in at_risk:
        options = [
            c
            for number in sums_of[cell]
            for neighbour in (*pool.sums[number][0], *pool.sums[number][1])
            for further in sums_of[neighbour]
            for c in candidates(further)
        ]
        if options:
            return {min(options, key=cost)}
    return {c for c in range(len(pool.value)) if hideable[c]}


def release(questions: Sequence[CountedQuestion], answers: Iterable[Answer], *, k: int) -> Released:
    """Counts answers (one pass, memory independent of the number of answers beyond the
    tables themselves) and suppresses: cells < k hidden, complementary suppression so no
    hidden cell can be worked out from totals (implicit "no answer" cells included), adjacent
    threshold curve steps suppressed together when one would give a hidden count back; fewer
    than k answers in all -> no tables (Released.responses is None and every count hidden)."""
    if k < 1:
        raise ValueError("k must be at least 1")
    _check_definition(questions)
    tally = count(questions, answers)
    pool, layout = _build(questions, tally)
    hidden = [True] * len(pool.value) if tally.responses < k else suppress(pool, k)

    def shown(cell: int) -> int | None:
        return None if hidden[cell] else pool.value[cell]

    counted = [question for question in questions if question.type != "text"]
    by_id = {question.id: question for question in counted}
    released_questions = tuple(
        QuestionCounts(
            id=question.id,
            type=question.type,
            counts={
                option: shown(cell)
                for option, cell in zip(question.options, layout.counts[question.id], strict=True)
            },
            cumulative=(
                {
                    option: shown(cell)
                    for option, cell in zip(
                        question.options, layout.cumulative[question.id], strict=True
                    )
                }
                if question.type == "threshold"
                else None
            ),
        )
        for question in counted
    )
    released_crosstabs = tuple(
        CrosstabCounts(
            unit=unit_id,
            question=other_id,
            counts={
                unit_option: {
                    option: shown(cell)
                    for option, cell in zip(by_id[other_id].options, row, strict=True)
                }
                for unit_option, row in zip(by_id[unit_id].options, rows, strict=True)
            },
        )
        for (unit_id, other_id), rows in layout.crosstabs.items()
    )
    return Released(
        responses=None if tally.responses < k else tally.responses,
        questions=released_questions,
        crosstabs=released_crosstabs,
    )
