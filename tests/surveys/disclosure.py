"""An attacker's view of a survey release: what can be worked out about the hidden cells.

Written apart from organise/surveys/tables.py, on purpose: the cells and the sums between them
are rebuilt here from the questions and the released tables, the way a reader who knows the
definition would, and the true counts come from a direct count of the answers.

A reader knows every printed count, the number of responses, that every count is a whole
number from 0 to the number of responses, and these sums:
- a one-value question (choice, scale, threshold): its options and its "no answer" cell add up
  to the responses (the no-answer cell is 0 when the question is required);
- a `multi` option: those who ticked it and those who did not add up to the responses; when the
  question is required, the ticks of all its options are at least the responses;
- a cumulative step: the counts at every N up to it;
- a crosstab: each unit row (no-answer row included) adds up to the unit's count, each column to
  the question's count; a pair of units is the same table both ways round.

Two attacks:
1. **Bounds**: each unknown cell's range, propagated through the sums and through every row of
   their reduced echelon form (exact fractions), rounded to whole numbers, until nothing moves.
2. **Respondent types**: every possible answer profile is an unknown count; every cell is the
   sum of the profiles it covers. A hidden cell is pinned when its profile vector lies in the
   span of the shown cells' (exact linear algebra modulo a large prime). This catches sums the
   list above forgot.

A hidden cell (and a no-answer or did-not-tick cell whose true count is under k) is **solved**
when its range is one value, or lies within 1..k-1 (someone did, and fewer than k).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from math import ceil, floor

from organise.surveys.tables import Answer, CountedQuestion, Released

PRIME = (1 << 61) - 1
NO = None  # the "no answer" option
# Above this many answer profiles, the respondent-types attack is left out (too slow to run).
MAX_TYPES = 400

Key = tuple[object, ...]


@dataclass(frozen=True)
class Solved:
    cell: Key
    low: int
    high: int
    value: int
    how: str

    def __str__(self) -> str:
        return f"{self.cell}: true {self.value}, worked out to {self.low}..{self.high} ({self.how})"


def _single(question: CountedQuestion) -> bool:
    return question.type in ("choice", "scale", "threshold")


def _value(question: CountedQuestion, answer: Answer) -> object:
    value = answer.get(question.id)
    if value is None:
        return NO
    if question.type in ("scale", "threshold"):
        return str(value)
    return value


def _ticked(question: CountedQuestion, answer: Answer) -> frozenset[str]:
    return frozenset(answer.get(question.id, ()))  # type: ignore[arg-type]


class Cells:
    """Every cell a reader reasons about: predicate on one response, printed or not."""

    def __init__(self, questions: Sequence[CountedQuestion]) -> None:
        self.questions = [q for q in questions if q.type != "text"]
        self.units = [q for q in self.questions if q.crosstab]
        self.predicates: dict[Key, object] = {}
        self.explicit: set[Key] = set()
        self.known_zero: set[Key] = set()
        self.sums: list[tuple[list[tuple[Key, int]], int]] = []  # sum(coef * cell) = constant
        self.spares: dict[Key, list[Key]] = {}  # slack: ticks beyond one per response
        self.free: set[Key] = set()  # unknown, never printed, no secret of their own
        self._define()

    def _add(self, key: Key, test: object, *, explicit: bool) -> Key:
        self.predicates[key] = test
        if explicit:
            self.explicit.add(key)
        return key

    def _one_way(self, question: CountedQuestion) -> list[Key]:
        """The cells of a one-value question: each option, then no answer."""
        keys = []
        for option in (*question.options, NO):
            key = self._add(
                ("q", question.id, option),
                (lambda a, q=question, o=option: _value(q, a) == o),
                explicit=option is not NO,
            )
            if option is NO and question.required:
                self.known_zero.add(key)
            keys.append(key)
        return keys

    def _define(self) -> None:
        total = self._add(("total",), lambda a: True, explicit=True)
        rows: dict[str, list[Key]] = {}
        for question in self.questions:
            if _single(question):
                keys = self._one_way(question)
                rows[question.id] = keys
                self.sums.append(([(key, 1) for key in keys] + [(total, -1)], 0))
                if question.type == "threshold":
                    for step, n in enumerate(question.options):
                        key = self._add(
                            ("cum", question.id, n),
                            (
                                lambda a, q=question, upto=question.options[: step + 1]: (
                                    _value(q, a) in upto
                                )
                            ),
                            explicit=True,
                        )
                        terms = [(("q", question.id, m), 1) for m in question.options[: step + 1]]
                        self.sums.append(([*terms, (key, -1)], 0))
            else:
                for option in question.options:
                    yes = self._add(
                        ("q", question.id, option),
                        lambda a, q=question, o=option: o in _ticked(q, a),
                        explicit=True,
                    )
                    no = self._add(
                        ("not", question.id, option),
                        lambda a, q=question, o=option: o not in _ticked(q, a),
                        explicit=False,
                    )
                    self.sums.append(([(yes, 1), (no, 1), (total, -1)], 0))
                if question.required:
                    spare: Key = ("spare", question.id)
                    self.spares[spare] = [("q", question.id, o) for o in question.options]
                    terms = [(("q", question.id, o), 1) for o in question.options]
                    self.sums.append(([*terms, (total, -1), (spare, -1)], 0))
        for unit in self.units:
            for other in self.questions:
                if other.id == unit.id:
                    continue
                self._crosstab(unit, other, rows)
        for first, second in itertools.combinations(self.units, 2):
            for other in self.questions:
                if other.id not in (first.id, second.id):
                    self._three_way(first, second, other)

    def _three_way(
        self, first: CountedQuestion, second: CountedQuestion, other: CountedQuestion
    ) -> None:
        """Two units and a third question: the unpublished three-way table behind the three
        crosstabs, its cells unknown and never negative."""
        firsts, seconds = (*first.options, NO), (*second.options, NO)
        if _single(other):
            columns: list[tuple[object, object]] = [(o, None) for o in (*other.options, NO)]
        else:
            columns = [(o, ticked) for o in other.options for ticked in (True, False)]
        for a in firsts:
            for b in seconds:
                for o, ticked in columns:
                    key: Key = ("three", first.id, a, second.id, b, other.id, o, ticked)
                    self.free.add(key)
                    self._add(
                        key,
                        lambda r, a=a, b=b, o=o, t=ticked: (
                            _value(first, r) == a
                            and _value(second, r) == b
                            and (
                                _value(other, r) == o
                                if t is None
                                else (o in _ticked(other, r)) == t
                            )
                        ),
                        explicit=False,
                    )

        def other_cell(unit: CountedQuestion, u: object, o: object, ticked: object) -> Key:
            if ticked is None:
                return ("x", unit.id, u, other.id, o)
            return ("xt", unit.id, u, other.id, o, ticked)

        for a in firsts:
            for b in seconds:
                groups = (
                    [columns]
                    if _single(other)
                    else [[(o, True), (o, False)] for o in other.options]
                )
                for group in groups:
                    terms = [
                        (("three", first.id, a, second.id, b, other.id, o, t), 1) for o, t in group
                    ]
                    self.sums.append(([*terms, (("x", first.id, a, second.id, b), -1)], 0))
        for o, ticked in columns:
            for a in firsts:
                terms = [
                    (("three", first.id, a, second.id, b, other.id, o, ticked), 1) for b in seconds
                ]
                self.sums.append(([*terms, (other_cell(first, a, o, ticked), -1)], 0))
            for b in seconds:
                terms = [
                    (("three", first.id, a, second.id, b, other.id, o, ticked), 1) for a in firsts
                ]
                self.sums.append(([*terms, (other_cell(second, b, o, ticked), -1)], 0))

    def _crosstab(
        self, unit: CountedQuestion, other: CountedQuestion, rows: dict[str, list[Key]]
    ) -> None:
        unit_options = (*unit.options, NO)
        for u, margin in zip(unit_options, rows[unit.id], strict=True):
            in_unit = lambda a, q=unit, u=u: _value(q, a) == u  # noqa: E731
            if _single(other):
                terms = []
                for o in (*other.options, NO):
                    key = self._add(
                        ("x", unit.id, u, other.id, o),
                        lambda a, i=in_unit, q=other, o=o: i(a) and _value(q, a) == o,
                        explicit=u is not NO and o is not NO,
                    )
                    if (u is NO and unit.required) or (o is NO and other.required):
                        self.known_zero.add(key)
                    terms.append((key, 1))
                    if other.crosstab and ("x", other.id, o, unit.id, u) in self.predicates:
                        self.sums.append(([(key, 1), (("x", other.id, o, unit.id, u), -1)], 0))
                self.sums.append(([*terms, (margin, -1)], 0))
            else:
                for o in other.options:
                    yes = self._add(
                        ("xt", unit.id, u, other.id, o, True),
                        lambda a, i=in_unit, q=other, o=o: i(a) and o in _ticked(q, a),
                        explicit=u is not NO,
                    )
                    no = self._add(
                        ("xt", unit.id, u, other.id, o, False),
                        lambda a, i=in_unit, q=other, o=o: i(a) and o not in _ticked(q, a),
                        explicit=False,
                    )
                    if u is NO and unit.required:
                        self.known_zero.update((yes, no))
                    self.sums.append(([(yes, 1), (no, 1), (margin, -1)], 0))
                if other.required:
                    spare: Key = ("spare", other.id, unit.id, u)
                    self.spares[spare] = [
                        ("xt", unit.id, u, other.id, o, True) for o in other.options
                    ]
                    terms = [(("xt", unit.id, u, other.id, o, True), 1) for o in other.options]
                    self.sums.append(([*terms, (margin, -1), (spare, -1)], 0))
        if _single(other):
            for o in (*other.options, NO):
                terms = [(("x", unit.id, u, other.id, o), 1) for u in unit_options]
                self.sums.append(([*terms, (("q", other.id, o), -1)], 0))
        else:
            for o in other.options:
                for ticked, margin in ((True, ("q", other.id, o)), (False, ("not", other.id, o))):
                    terms = [(("xt", unit.id, u, other.id, o, ticked), 1) for u in unit_options]
                    self.sums.append(([*terms, (margin, -1)], 0))

    def truth(self, answers: Sequence[Answer]) -> dict[Key, int]:
        """The direct count of every cell over the final answers."""
        counts = {
            key: sum(1 for answer in answers if test(answer))  # type: ignore[operator]
            for key, test in self.predicates.items()
        }
        for spare, ticks in self.spares.items():
            counts[spare] = sum(counts[key] for key in ticks) - counts[ticks_margin(spare)]
        return counts

    def shown(self, released: Released) -> dict[Key, int]:
        """The printed numbers of a release, on this model's cells."""
        shown: dict[Key, int] = {}
        if released.responses is not None:
            shown[("total",)] = released.responses
        for question in released.questions:
            for option, count in question.counts.items():
                if count is not None:
                    shown[("q", question.id, option)] = count
            for n, count in (question.cumulative or {}).items():
                if count is not None:
                    shown[("cum", question.id, n)] = count
        kinds = {q.id: q.type for q in self.questions}
        for table in released.crosstabs:
            for u, row in table.counts.items():
                for o, count in row.items():
                    if count is None:
                        continue
                    if kinds[table.question] == "multi":
                        shown[("xt", table.unit, u, table.question, o, True)] = count
                    else:
                        shown[("x", table.unit, u, table.question, o)] = count
        return shown


def ticks_margin(spare: Key) -> Key:
    """The count a required multi question's ticks are compared with (responses, or a unit's)."""
    if len(spare) == 2:
        return ("total",)
    return ("q", spare[2], spare[3])


def _reduced(
    rows: list[dict[Key, Fraction]], constants: list[Fraction]
) -> list[tuple[dict[Key, Fraction], Fraction]]:
    """Reduced row echelon form of the sums over the unknown cells (exact)."""
    pivots: list[tuple[Key, dict[Key, Fraction], Fraction]] = []
    for row, constant in zip(rows, constants, strict=True):
        row = dict(row)
        for lead, pivot, pivot_constant in pivots:
            factor = row.get(lead)
            if factor:
                for key, value in pivot.items():
                    row[key] = row.get(key, Fraction(0)) - factor * value
                constant -= factor * pivot_constant
                row = {key: value for key, value in row.items() if value}
        if not row:
            if constant:
                raise AssertionError("the released tables contradict each other")
            continue
        lead = min(row, key=repr)
        scale = row[lead]
        row = {key: value / scale for key, value in row.items()}
        constant /= scale
        updated = []
        for other_lead, pivot, pivot_constant in pivots:
            factor = pivot.get(lead)
            if factor:
                for key, value in row.items():
                    pivot[key] = pivot.get(key, Fraction(0)) - factor * value
                pivot_constant -= factor * constant
                pivot = {key: value for key, value in pivot.items() if value}
            updated.append((other_lead, pivot, pivot_constant))
        pivots = [*updated, (lead, row, constant)]
    return [(row, constant) for _, row, constant in pivots]


def bounds(cells: Cells, shown: Mapping[Key, int], responses: int) -> dict[Key, tuple[int, int]]:
    """Attack 1: every unknown cell's range from the shown cells and the sums."""
    known = dict(shown)
    known.update({key: 0 for key in cells.known_zero})
    unknown = [key for key in (*cells.predicates, *cells.spares) if key not in known]
    low = {key: Fraction(0) for key in unknown}
    high = {key: Fraction(responses * max(1, len(cells.spares.get(key, ())))) for key in unknown}
    rows, constants = [], []
    for terms, constant in cells.sums:
        row: dict[Key, Fraction] = {}
        rest = Fraction(constant)
        for key, coefficient in terms:
            if key in known:
                rest -= coefficient * known[key]
            else:
                row[key] = row.get(key, Fraction(0)) + coefficient
        row = {key: value for key, value in row.items() if value}
        if row:
            rows.append(row)
            constants.append(rest)
        elif rest:
            raise AssertionError("the shown cells break a sum")
    echelon = _reduced(rows, constants)
    equations = list(zip(rows, constants, strict=True)) + echelon
    for _ in range(500):
        moved = False
        for row, constant in equations:
            least = sum(v * (low[c] if v > 0 else high[c]) for c, v in row.items())
            most = sum(v * (high[c] if v > 0 else low[c]) for c, v in row.items())
            for cell, v in row.items():
                own_least = v * (low[cell] if v > 0 else high[cell])
                own_most = v * (high[cell] if v > 0 else low[cell])
                # v * cell = constant - rest
                span = (constant - (most - own_most), constant - (least - own_least))
                new_low, new_high = (
                    (span[0] / v, span[1] / v) if v > 0 else (span[1] / v, span[0] / v)
                )
                new_low, new_high = Fraction(ceil(new_low)), Fraction(floor(new_high))
                if new_low > low[cell]:
                    low[cell], moved = new_low, True
                if new_high < high[cell]:
                    high[cell], moved = new_high, True
        if not moved:
            break
    return {key: (int(low[key]), int(high[key])) for key in unknown}


def _types(cells: Cells) -> list[dict[str, object]] | None:
    """Every answer profile a respondent could give, or None when there are too many."""
    choices = []
    for question in cells.questions:
        if _single(question):
            values: list[object] = list(question.options)
            if not question.required:
                values.append(NO)
            if question.type in ("scale", "threshold"):
                values = [int(v) if v is not NO else NO for v in values]  # type: ignore[arg-type]
        else:
            values = [
                sorted(subset)
                for size in range(0 if not question.required else 1, len(question.options) + 1)
                for subset in itertools.combinations(question.options, size)
            ]
        choices.append([(question.id, value) for value in values])
    size = 1
    for values in choices:
        size *= len(values)
    if size > MAX_TYPES:
        return None
    return [
        {qid: value for qid, value in profile if value is not NO}
        for profile in itertools.product(*choices)
    ]


def _span(rows: Iterable[list[int]]) -> list[tuple[int, list[int]]]:
    basis: list[tuple[int, list[int]]] = []
    for row in rows:
        row = _reduce(row, basis)
        lead = next((i for i, v in enumerate(row) if v), None)
        if lead is None:
            continue
        inverse = pow(row[lead], PRIME - 2, PRIME)
        basis.append((lead, [v * inverse % PRIME for v in row]))
    return basis


def _reduce(row: list[int], basis: list[tuple[int, list[int]]]) -> list[int]:
    row = list(row)
    for lead, vector in basis:
        factor = row[lead]
        if factor:
            row = [(a - factor * b) % PRIME for a, b in zip(row, vector, strict=True)]
    return row


def pinned_by_types(cells: Cells, shown: Mapping[Key, int], targets: Iterable[Key]) -> set[Key]:
    """Attack 2: targets whose count is a fixed combination of the shown counts, whatever the
    answers were (empty when the definition has too many answer profiles to list)."""
    profiles = _types(cells)
    if profiles is None:
        return set()

    def vector(key: Key) -> list[int]:
        test = cells.predicates[key]
        return [1 if test(profile) else 0 for profile in profiles]  # type: ignore[operator]

    basis = _span(vector(key) for key in shown)
    alone = _span([vector(("total",))])
    return {
        key
        for key in targets
        if key in cells.predicates
        and not any(_reduce(vector(key), basis))
        and any(_reduce(vector(key), alone))
    }


def attack(
    questions: Sequence[CountedQuestion], released: Released, answers: Sequence[Answer], k: int
) -> tuple[dict[Key, int], dict[Key, int], list[Solved]]:
    """(the direct count, the shown cells, every solved cell) for one release."""
    cells = Cells(questions)
    truth = cells.truth(answers)
    shown = cells.shown(released)
    if released.responses is None:
        return truth, shown, []
    ranges = bounds(cells, shown, released.responses)
    for key, (low, high) in ranges.items():
        assert low <= truth[key] <= high, f"the attack is wrong about {key}"
    # Cells the definition and the total alone give away are no secret (the one option of a
    # required question): they are not counted as solved.
    given = bounds(cells, {("total",): released.responses}, released.responses)
    targets = [
        key
        for key in ranges
        if key not in cells.spares
        and key not in cells.free
        and (key in cells.explicit or truth[key] < k)
        and given[key][0] != given[key][1]
    ]
    solved = []
    for key in targets:
        low, high = ranges[key]
        if low == high or (low >= 1 and high <= k - 1):
            solved.append(Solved(key, low, high, truth[key], "bounds"))
    for key in sorted(pinned_by_types(cells, shown, targets), key=repr):
        solved.append(Solved(key, truth[key], truth[key], truth[key], "answer profiles"))
    return truth, shown, solved
