"""Released survey results as CSV: one row per cell, a hidden cell empty."""

from __future__ import annotations

import csv
import io

from organise.surveys.tables import Released
from organise.web.spreadsheet import neutralise

HEADER = ("survey", "table", "unit", "question", "option", "count")


def results_csv(released: Released, *, slug: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerow(
        [
            neutralise(slug),
            "responses",
            "",
            "",
            "",
            "" if released.responses is None else released.responses,
        ]
    )
    for question in released.questions:
        for option, count in question.counts.items():
            writer.writerow(
                [
                    neutralise(slug),
                    "counts",
                    "",
                    neutralise(question.id),
                    neutralise(option),
                    "" if count is None else count,
                ]
            )
        for option, count in (question.cumulative or {}).items():
            writer.writerow(
                [
                    neutralise(slug),
                    "cumulative",
                    "",
                    neutralise(question.id),
                    neutralise(option),
                    "" if count is None else count,
                ]
            )
    for table in released.crosstabs:
        for unit, row in table.counts.items():
            for option, count in row.items():
                writer.writerow(
                    [
                        neutralise(slug),
                        "crosstab",
                        neutralise(f"{table.unit}={unit}"),
                        neutralise(table.question),
                        neutralise(option),
                        "" if count is None else count,
                    ]
                )
    return out.getvalue()
