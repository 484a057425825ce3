"""Where the public contract database and its API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.contracts import api as json_api
from organise.contracts import pages as contract_pages
from organise.web.openapi import ref

pages: list[BaseRoute] = [Mount("/contracts", routes=contract_pages.routes, name="contracts")]
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = []
attention: list[Source] = []

_STRING = {"type": "string"}
# The lists served at /api/v1/taxonomy, in the order taxonomy.as_json gives them.
_VOCABULARIES = (
    "technologies",
    "technology_groups",
    "agency_types",
    "statuses",
    "relations",
    "value_ranges",
)

schemas: dict[str, Any] = {
    "Contract": {
        "type": "object",
        "required": [
            "id",
            "url",
            "employers",
            "agency",
            "technologies",
            "status",
            "summary",
            "sources",
            "published_week",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "url": _STRING,
            "employers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "slug", "url"],
                    "properties": {"name": _STRING, "slug": _STRING, "url": _STRING},
                },
            },
            "agency": {"type": "object"},
            "technologies": {"type": "array", "items": _STRING},
            "product": _STRING,
            "status": _STRING,
            "value_range": _STRING,
            "currency": _STRING,
            "period_start": _STRING,
            "period_end": _STRING,
            "summary": _STRING,
            "sources": {"type": "array", "items": {"type": "object"}},
            "atlas_id": {"type": "string", "nullable": True},
            "atlas_technology": _STRING,
            "published_week": {"type": "string", "format": "date"},
        },
    },
    "ContractPage": {
        "type": "object",
        "required": ["items", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": ref("Contract")},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": "string", "nullable": True},
        },
    },
    "Term": {
        "type": "object",
        "required": ["slug", "label"],
        "properties": {"slug": _STRING, "label": _STRING, "group": _STRING},
    },
    "Taxonomy": {
        "type": "object",
        "required": list(_VOCABULARIES),
        "properties": {name: {"type": "array", "items": ref("Term")} for name in _VOCABULARIES},
    },
}
