"""Where the report pages, the review pages and the reports API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.reports import api as json_api
from organise.reports import attention as report_attention
from organise.reports import organiser_api, organiser_pages
from organise.reports import pages as report_pages
from organise.reports.fields import MAX_RECEIPT_CHARS, message_schema
from organise.reports.models import ProposalState, ReviewState
from organise.reports.review import QUEUE_FILTERS

pages: list[BaseRoute] = [Mount("/reports", routes=report_pages.routes, name="reports")]
api: list[BaseRoute] = [*json_api.routes, *organiser_api.routes]
organiser: list[BaseRoute] = [
    Mount("/organisers/reports", routes=organiser_pages.routes, name="review"),
]

_WEEK = {"type": "string", "format": "date"}
_ID = organiser_api.UUID_SCHEMA
_NULLABLE_ID = {**_ID, "nullable": True}
_STATE = {"type": "string", "enum": [state.value for state in ReviewState]}
_SEALED = {
    "type": "array",
    "description": "What is left out: sealed to the report inbox key, which only a reviewer's "
    "signed-in browser session can open (on the report's page).",
    "items": {"type": "string", "enum": list(organiser_api.SEALED)},
}

# A line of the review queue (what the queue page shows).
_QUEUED = {
    "id": _ID,
    "week": _WEEK,
    "employer": {"type": "string"},
    "agency": {"type": "string"},
    "technologies": {"type": "array", "items": {"type": "string"}},
    "state": _STATE,
}
_TEXT_FACTS = (
    "agency_type",
    "country",
    "jurisdiction",
    "product",
    "status",
    "value_range",
    "currency",
    "period_start",
    "period_end",
    "relation",
)

# ReportInput, the body of POST /api/v1/reports, comes from its field table (fields.REPORT).
# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*report_attention.SOURCES]
schemas: dict[str, Any] = {
    "ReviewQueue": {
        "type": "object",
        "required": ["state", "reports", "sealed"],
        "properties": {
            "state": {"type": "string", "enum": list(QUEUE_FILTERS)},
            "reports": {
                "type": "array",
                "items": {"type": "object", "required": list(_QUEUED), "properties": _QUEUED},
            },
            "sealed": _SEALED,
        },
    },
    "ReviewReport": {
        "type": "object",
        "required": [
            *_QUEUED,
            *_TEXT_FACTS,
            "sources",
            "merged_into",
            "contract",
            "merged",
            "proposals",
            "sealed",
        ],
        "properties": {
            **_QUEUED,
            **{name: {"type": "string"} for name in _TEXT_FACTS},
            "sources": {"type": "array", "items": {"type": "string"}},
            "merged_into": _NULLABLE_ID,
            "contract": {**_NULLABLE_ID, "description": "The published record, if any."},
            "merged": {
                "type": "array",
                "description": "The reports merged into this one.",
                "items": _ID,
            },
            "proposals": {
                "type": "array",
                "items": {"$ref": "#/components/schemas/PublicationProposal"},
            },
            "sealed": _SEALED,
        },
    },
    "PublicationProposal": {
        "type": "object",
        "required": ["id", "state", "week", "approvals", "approvals_needed", "contract"],
        "properties": {
            "id": _ID,
            "state": {"type": "string", "enum": [state.value for state in ProposalState]},
            "week": _WEEK,
            "approvals": {
                "type": "integer",
                "minimum": 0,
                "description": "Approvals that count: from accounts that are reviewers or "
                "admins now.",
            },
            "approvals_needed": {"type": "integer", "minimum": 1},
            "contract": _NULLABLE_ID,
        },
    },
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
