"""Where the report pages, the review pages and the reports API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.reports import api as json_api
from organise.reports import attention as report_attention
from organise.reports import organiser_pages
from organise.reports import pages as report_pages
from organise.reports.fields import MAX_RECEIPT_CHARS, message_schema

pages: list[BaseRoute] = [Mount("/reports", routes=report_pages.routes, name="reports")]
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = [
    Mount("/organisers/reports", routes=organiser_pages.routes, name="review"),
]

_WEEK = {"type": "string", "format": "date"}

# ReportInput, the body of POST /api/v1/reports, comes from its field table (fields.REPORT).
# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*report_attention.SOURCES]
schemas: dict[str, Any] = {
    "ReportMessageInput": message_schema({"type": "string", "maxLength": MAX_RECEIPT_CHARS}),
    "ReportStatus": {
        "type": "object",
        "required": ["state", "week", "messages"],
        "properties": {
            "state": {"type": "string"},
            "merged": {"type": "boolean"},
            "week": _WEEK,
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["author", "week", "text"],
                    "properties": {
                        "author": {"type": "string", "enum": ["reporter", "reviewer"]},
                        "week": _WEEK,
                        "text": {"type": "string"},
                    },
                },
            },
        },
    },
}
