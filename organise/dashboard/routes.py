"""Where the organiser dashboard and the aggregates API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.dashboard import api as json_api
from organise.dashboard import organiser_pages
from organise.dashboard.aggregates import DIMENSIONS

pages: list[BaseRoute] = []
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = [
    Mount("/organisers/dashboard", routes=organiser_pages.routes, name="dashboard"),
]
attention: list[Source] = []

# What both aggregates endpoints answer (organise/dashboard/aggregates.py, Answer.as_json).
AGGREGATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["by", "k", "filters", "withheld", "rows"],
    "properties": {
        "by": {"type": "string", "enum": list(DIMENSIONS)},
        "k": {"type": "integer", "minimum": 2},
        "filters": {"type": "object", "additionalProperties": {"type": "string"}},
        "withheld": {
            "type": "boolean",
            "description": "True when these filters would let two answers be subtracted "
            "to recover a hidden count: no rows are given.",
        },
        "rows": {
            "type": "array",
            "items": {
                "description": "A row: its count, or, when the count is hidden (fewer than "
                "k, or hidden so that a small count cannot be worked out from totals), "
                "count null and suppressed true. Every hidden row reads the same, whatever "
                "its size.",
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["key", "label", "count", "suppressed"],
                        "properties": {
                            "key": {"type": "string"},
                            "label": {"type": "string"},
                            "count": {"type": "integer", "minimum": 1},
                            "suppressed": {"type": "boolean", "enum": [False]},
                        },
                    },
                    {
                        "type": "object",
                        "required": ["key", "label", "count", "suppressed"],
                        "properties": {
                            "key": {"type": "string"},
                            "label": {"type": "string"},
                            "count": {"type": "integer", "nullable": True, "enum": [None]},
                            "suppressed": {"type": "boolean", "enum": [True]},
                        },
                    },
                ],
            },
        },
    },
}
schemas: dict[str, Any] = {"Aggregate": AGGREGATE_SCHEMA}
