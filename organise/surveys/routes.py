"""Where the survey pages and API live (see organise/app.py, which assembles them)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.surveys import api as json_api
from organise.surveys import attention as survey_attention
from organise.surveys import organiser_pages
from organise.surveys import pages as worker_pages

# "responses" is not a survey's slug (definition.RESERVED_SLUGS): its mounts come first.
pages: list[BaseRoute] = [
    Mount("/surveys/responses", routes=worker_pages.response_routes, name="survey_responses"),
    Mount("/surveys", routes=worker_pages.routes, name="surveys"),
]
api: list[BaseRoute] = [
    Mount(
        "/api/v1/surveys/responses", routes=json_api.response_routes, name="api_survey_responses"
    ),
    Mount("/api/v1/surveys", routes=json_api.survey_routes, name="api_surveys"),
    Mount(
        "/api/v1/organiser/surveys",
        routes=json_api.organiser_routes,
        name="api_organiser_surveys",
    ),
]
# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*survey_attention.SOURCES]
organiser: list[BaseRoute] = [
    Mount("/organisers/surveys", routes=organiser_pages.routes, name="survey_organisers"),
]

_COUNTS = {"type": "object", "additionalProperties": {"type": "integer", "nullable": True}}

schemas: dict[str, Any] = {
    "Survey": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "intro",
            "closes_at",
            "state",
            "invite_only",
            "k",
            "questions",
            "operator_can_open",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "intro": {"type": "string"},
            "closes_at": {"type": "string"},
            "state": {"type": "string", "enum": ["open", "closed"]},
            "invite_only": {"type": "boolean"},
            "k": {"type": "integer"},
            "questions": {"type": "array", "items": {"type": "object"}},
            "translations": {
                "type": "object",
                "description": "Language code -> title, intro and question id -> text and "
                "option id -> label, in that language; the answers take the option ids.",
            },
            "operator_can_open": {"type": "boolean"},
            "results": {"$ref": "#/components/schemas/SurveyResults"},
        },
    },
    "SurveyResponseInput": {
        "type": "object",
        "required": ["answers"],
        "additionalProperties": False,
        "properties": {
            "invite_code": {"type": "string", "maxLength": 200, "nullable": True},
            "answers": {
                "type": "object",
                "description": "Question id to answer: an option id (choice), a list of option "
                "ids (multi), a whole number (scale, threshold) or text (text).",
            },
        },
    },
    "SurveyChangeInput": {
        "type": "object",
        "required": ["receipt", "answers"],
        "additionalProperties": False,
        "properties": {
            "receipt": {"type": "string", "maxLength": 200},
            "answers": {"type": "object"},
        },
    },
    "SurveyAnswered": {
        "type": "object",
        "required": ["receipt", "invite_codes"],
        "properties": {
            "receipt": {"type": "string"},
            "invite_codes": {"type": "array", "items": {"type": "string"}},
        },
    },
    "SurveyResponseStatus": {
        "type": "object",
        "required": ["survey", "status", "state"],
        "properties": {
            "survey": {"type": "string"},
            "status": {"type": "string", "enum": ["counted"]},
            "state": {"type": "string", "enum": ["open", "closed"]},
            "results": {"$ref": "#/components/schemas/SurveyResults"},
        },
    },
    "SurveyDone": {
        "type": "object",
        "required": ["survey"],
        "properties": {
            "survey": {"type": "string"},
            "changed": {"type": "boolean"},
            "withdrawn": {"type": "boolean"},
        },
    },
    "SurveyResults": {
        "type": "object",
        "required": ["slug", "released_at", "responses", "questions", "crosstabs"],
        "properties": {
            "slug": {"type": "string"},
            "released_at": {"type": "string"},
            "responses": {"type": "integer", "nullable": True},
            "questions": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["id", "type", "counts"],
                    "properties": {
                        "id": {"type": "string"},
                        "type": {"type": "string"},
                        "counts": _COUNTS,
                        "cumulative": _COUNTS,
                    },
                },
            },
            "crosstabs": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["unit", "question", "counts"],
                    "properties": {
                        "unit": {"type": "string"},
                        "question": {"type": "string"},
                        "counts": {"type": "object", "additionalProperties": _COUNTS},
                    },
                },
            },
        },
    },
}
