"""Aggregate answers as CSV and JSON, carrying the suppression: a hidden count is empty in
CSV and null in JSON, beside `suppressed`, whatever the reason it was hidden."""

from __future__ import annotations

import csv
import io
from typing import Any

from starlette.responses import JSONResponse, Response

from organise.dashboard.aggregates import Answer
from organise.dashboard.campaigns import CampaignRow

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: object) -> str:
    """A cell a spreadsheet would run as a formula gets a leading apostrophe."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_STARTS) else text


def _csv_response(header: list[str], rows: list[list[object]], filename: str) -> Response:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return Response(
        buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


def answer_csv(answer: Answer, filename: str) -> Response:
    """Columns key, label, count, suppressed; a hidden count is empty."""
    rows: list[list[object]] = [
        [
            row.key,
            row.label,
            "" if row.suppressed else row.count,
            "yes" if row.suppressed else "no",
        ]
        for row in answer.rows
    ]
    return _csv_response(["key", "label", "count", "suppressed"], rows, filename)


def answer_json(answer: Answer) -> Response:
    return JSONResponse(answer.as_json())


def campaigns_json(rows: list[CampaignRow]) -> Response:
    return JSONResponse({"campaigns": [row.as_json() for row in rows]})


def campaigns_csv(rows: list[CampaignRow]) -> Response:
    header = ["slug", "title", "state", "stage", "deadline", "threshold", "progress", "reached"]
    body: list[list[Any]] = [
        [
            row.slug,
            row.title,
            row.state,
            row.stage,
            row.deadline,
            row.threshold,
            row.progress_text,
            "yes" if row.reached else "no",
        ]
        for row in rows
    ]
    return _csv_response(header, body, "campaigns.csv")
