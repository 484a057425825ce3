"""A survey's released results as CSV: one row per cell, a hidden cell empty.

Columns `table, unit, unit_option, question, option, label, count, suppressed`:
- `responses`: one row, the number of responses (empty when there were too few to show any);
- `counts`: one row per option of each question;
- `cumulative`: one row per step N of each threshold question (answers with N_i <= N);
- `crosstab`: one row per unit option and option of each declared unit x question pair.

`suppressed` is `yes` for a hidden cell, whatever the reason it was hidden, so the file says no
more than the page. Every cell goes through `organise.web.spreadsheet.neutralise`: a question
or option id or label starting with `=`, `+`, `-`, `@`, a tab or a carriage return is written
with a leading apostrophe, so no spreadsheet runs it as a formula.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping

from organise.surveys.tables import Released
from organise.web.spreadsheet import neutralise

COLUMNS = ("table", "unit", "unit_option", "question", "option", "label", "count", "suppressed")

# question id -> option id -> label (in the reader's language); a missing label reads the id.
Labels = Mapping[str, Mapping[str, str]]


def rows(released: Released, labels: Labels | None = None) -> list[list[object]]:
    """The cells, in the order of the page: responses, each question, then the crosstabs."""
    labels = labels or {}

    def label(question: str, option: str) -> str:
        return labels.get(question, {}).get(option, option)

    def cell(count: int | None) -> list[object]:
        return ["", "yes"] if count is None else [count, "no"]

    table: list[list[object]] = [["responses", "", "", "", "", "", *cell(released.responses)]]
    for question in released.questions:
        for option, count in question.counts.items():
            table.append(
                ["counts", "", "", question.id, option, label(question.id, option), *cell(count)]
            )
        for option, count in (question.cumulative or {}).items():
            table.append(
                [
                    "cumulative",
                    "",
                    "",
                    question.id,
                    option,
                    label(question.id, option),
                    *cell(count),
                ]
            )
    for crosstab in released.crosstabs:
        for unit_option, row in crosstab.counts.items():
            for option, count in row.items():
                table.append(
                    [
                        "crosstab",
                        crosstab.unit,
                        unit_option,
                        crosstab.question,
                        option,
                        label(crosstab.question, option),
                        *cell(count),
                    ]
                )
    return table


def results_csv(released: Released, labels: Labels | None = None) -> str:
    """The whole CSV as text (CRLF line ends, a header row first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    writer.writerows([neutralise(value) for value in row] for row in rows(released, labels))
    return buffer.getvalue()
