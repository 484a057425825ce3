"""The OpenAPI document of the whole JSON API, generated from the routes and field tables.

Each JSON endpoint declares itself with `@documented(Operation(...))` beside its handler: a
summary, its answers, its refusals and its body, which is the endpoint's `FieldTable` (so the
published limits are the enforced ones). Response schemas live in each feature's
`routes.schemas`. `generate` walks the app's routing table, so a route is documented where it
is declared. tests/web/test_openapi.py runs schemathesis against the app: every answer must
match what the document says.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.routing import BaseRoute, Mount, Route

from organise.fields import FieldTable

JSON = "application/json"
E = TypeVar("E", bound=Callable[..., Any])
_PATH_PARAMETER = re.compile(r"{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")


def ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def json_answer(schema: Mapping[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": dict(schema)}}}


def refusals(*statuses: int) -> dict[str, Any]:
    """Every refusal is `{"error": {"code", "message"}}`; 503 when storage is unavailable."""
    error = json_answer(ref("Error"), "Refused, with a readable message and a stable code.")
    answers = {str(status): error for status in statuses}
    answers["4XX"] = error
    answers["503"] = json_answer(ref("Error"), "The database is unavailable; nothing was saved.")
    return answers


def query_parameter(name: str, description: str, **schema: Any) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": {"type": "string", **schema},
    }


SLUG_SCHEMA = {"type": "string", "pattern": "^[a-z0-9-]{1,64}$"}
ORGANISERS_ONLY = [{"bearerToken": []}, {"sessionCookie": []}]

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "description": "What is wrong with each refused field, by field name.",
                    "additionalProperties": {"type": "string"},
                },
            },
        }
    },
}


@dataclass(frozen=True)
class Operation:
    """What one JSON endpoint does, for the OpenAPI document."""

    summary: str
    # status -> (schema: a component name or an inline schema, description)
    answers: Mapping[int, tuple[str | Mapping[str, Any], str]]
    # The request body: the endpoint's field table (or a component name).
    body: FieldTable | str | None = None
    refusals: Sequence[int] = ()
    parameters: Sequence[Mapping[str, Any]] = ()
    organisers_only: bool = False
    # Schemas of path parameters by name (default: a slug).
    path_schemas: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


def documented(operation: Operation) -> Callable[[E], E]:
    def attach(endpoint: E) -> E:
        endpoint.openapi = operation  # type: ignore[attr-defined]
        return endpoint

    return attach


def operation_of(endpoint: object) -> Operation | None:
    return getattr(endpoint, "openapi", None)


def walk(routes: Sequence[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    """Every Route under `routes`, with its full path."""
    for route in routes:
        if isinstance(route, Mount):
            yield from walk(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def _schema(value: str | Mapping[str, Any]) -> dict[str, Any]:
    return ref(value) if isinstance(value, str) else dict(value)


def _operation(path: str, operation: Operation) -> dict[str, Any]:
    parameters = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": dict(operation.path_schemas.get(name, SLUG_SCHEMA)),
        }
        for name in _PATH_PARAMETER.findall(path)
    ]
    parameters += [dict(parameter) for parameter in operation.parameters]
    document: dict[str, Any] = {"summary": operation.summary}
    if operation.organisers_only:
        document["security"] = ORGANISERS_ONLY
    if parameters:
        document["parameters"] = parameters
    if operation.body is not None:
        body = operation.body.name if isinstance(operation.body, FieldTable) else operation.body
        document["requestBody"] = {"required": True, "content": {JSON: {"schema": ref(body)}}}
    answers = {
        str(status): json_answer(_schema(schema), description)
        for status, (schema, description) in operation.answers.items()
    }
    if operation.refusals or operation.body is not None or parameters:
        answers.update(refusals(*operation.refusals))
    document["responses"] = answers
    return document


def generate(routes: Sequence[BaseRoute], schemas: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAPI document of every documented route under `routes`."""
    paths: dict[str, Any] = {}
    components: dict[str, Any] = {"Error": ERROR_SCHEMA, **SCHEMAS, **schemas}
    for raw_path, route in walk(routes):
        operation = operation_of(route.endpoint)
        path = _PATH_PARAMETER.sub(r"{\1}", raw_path)
        if operation is None:
            if path in _LEGACY_PATHS:
                paths[path] = _LEGACY_PATHS[path]
            continue
        for method in sorted((route.methods or set()) - {"HEAD"}):
            paths.setdefault(path, {})[method.lower()] = _operation(path, operation)
        if isinstance(operation.body, FieldTable):
            components[operation.body.name] = operation.body.schema()
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Organise JSON API",
            "version": "1",
            "description": 'Errors are {"error": {"code", "message"}} with a 4xx status. '
            "Worker endpoints need no account and set no cookie.",
        },
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": {
                "bearerToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An organiser's API token (account page, or "
                    "`organise token create USERNAME`).",
                },
                "sessionCookie": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": "organise_session",
                },
            },
        },
    }


# ---------------------------------------------------------------------------------------------
# Still written by hand: each feature moves its part into `@documented` operations and its
# `routes.schemas`, and removes it from here. What is left here is used for routes that do not
# declare an Operation yet.


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return json_answer(schema, description)


def _errors(*statuses: int) -> dict[str, Any]:
    return refusals(*statuses)


def _body(schema: dict[str, Any]) -> dict[str, Any]:
    return {"required": True, "content": {JSON: {"schema": schema}}}


def _string(max_length: int | None = None, **extra: Any) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", **extra}
    if max_length is not None:
        schema["maxLength"] = max_length
    return schema


_ref = ref
_query = query_parameter

DIMENSIONS = ["employer", "agency_type", "technology", "technology_group", "country", "status"]
DIMENSIONS.append("month")

AGGREGATE_PARAMETERS = [
    {
        "name": "by",
        "in": "query",
        "required": True,
        "description": "The dimension to count by.",
        "schema": {"type": "string", "enum": DIMENSIONS},
    },
    _query(
        "employer", "Only this employer (reports: its name; contracts: its slug).", maxLength=200
    ),
    _query("technology", "Only this technology (a slug from /api/v1/taxonomy).", maxLength=48),
    _query("country", "Only this country (ISO 3166-1 alpha-2).", maxLength=2),
    _query("from", "First month of the period, YYYY-MM.", pattern="^[0-9]{4}-[0-9]{2}$"),
    _query("to", "Last month of the period, YYYY-MM.", pattern="^[0-9]{4}-[0-9]{2}$"),
]

SCHEMAS: dict[str, Any] = {
    "Aggregate": {
        "type": "object",
        "required": ["by", "k", "filters", "withheld", "rows"],
        "properties": {
            "by": {"type": "string", "enum": DIMENSIONS},
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
                    "type": "object",
                    "required": ["key", "label", "count", "suppressed"],
                    "properties": {
                        "key": {"type": "string"},
                        "label": {"type": "string"},
                        "count": {
                            "type": "integer",
                            "nullable": True,
                            "minimum": 1,
                            "description": "null when suppressed (fewer than k, or hidden so "
                            "that a small count cannot be worked out).",
                        },
                        "suppressed": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "Receipt": {
        "type": "object",
        "required": ["receipt"],
        "properties": {"receipt": _string(200)},
    },
    "ReportInput": {
        "type": "object",
        "required": ["employer", "technologies", "status"],
        "properties": {
            "employer": _string(),
            "agency": _string(),
            "agency_type": _string(),
            "country": _string(),
            "jurisdiction": _string(),
            "technologies": {"type": "array", "items": {"type": "string"}},
            "product": _string(),
            "status": _string(),
            "value_range": _string(),
            "currency": _string(),
            "period_start": _string(),
            "period_end": _string(),
            "sources": {"type": "array", "items": {"type": "string"}},
            "relation": _string(),
            "details": _string(),
        },
    },
    "ReportMessageInput": {
        "type": "object",
        "required": ["receipt", "message"],
        "properties": {"receipt": _string(200), "message": _string()},
    },
    "ReportStatus": {
        "type": "object",
        "required": ["state", "week", "messages"],
        "properties": {
            "state": {"type": "string"},
            "merged": {"type": "boolean"},
            "week": {"type": "string", "format": "date"},
            "messages": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["author", "week", "text"],
                    "properties": {
                        "author": {"type": "string", "enum": ["reporter", "reviewer"]},
                        "week": {"type": "string", "format": "date"},
                        "text": {"type": "string"},
                    },
                },
            },
        },
    },
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
            "independent_reports",
            "origin",
            "published_week",
        ],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "url": {"type": "string"},
            "employers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "slug", "url"],
                    "properties": {
                        "name": {"type": "string"},
                        "slug": {"type": "string"},
                        "url": {"type": "string"},
                    },
                },
            },
            "agency": {"type": "object"},
            "technologies": {"type": "array", "items": {"type": "string"}},
            "product": {"type": "string"},
            "status": {"type": "string"},
            "value_range": {"type": "string"},
            "currency": {"type": "string"},
            "period_start": {"type": "string"},
            "period_end": {"type": "string"},
            "summary": {"type": "string"},
            "sources": {"type": "array", "items": {"type": "object"}},
            "independent_reports": {
                "type": "object",
                "required": ["count", "text"],
                "properties": {
                    "count": {"type": "integer", "nullable": True},
                    "text": {"type": "string"},
                },
            },
            "origin": {"type": "string"},
            "atlas_id": {"type": "string", "nullable": True},
            "atlas_technology": {"type": "string"},
            "published_week": {"type": "string", "format": "date"},
        },
    },
    "ContractPage": {
        "type": "object",
        "required": ["items", "total", "next"],
        "properties": {
            "items": {"type": "array", "items": _ref("Contract")},
            "total": {"type": "integer", "minimum": 0},
            "next": {"type": "string", "nullable": True},
        },
    },
    "Term": {
        "type": "object",
        "required": ["slug", "label"],
        "properties": {
            "slug": {"type": "string"},
            "label": {"type": "string"},
            "group": {"type": "string"},
        },
    },
    "Taxonomy": {
        "type": "object",
        "required": [
            "technologies",
            "technology_groups",
            "agency_types",
            "statuses",
            "relations",
            "value_ranges",
        ],
        "properties": {
            name: {"type": "array", "items": _ref("Term")}
            for name in (
                "technologies",
                "technology_groups",
                "agency_types",
                "statuses",
                "relations",
                "value_ranges",
            )
        },
    },
}


def _legacy_paths() -> dict[str, Any]:
    organiser_only = [{"bearerToken": []}, {"sessionCookie": []}]
    return {
        "/api/v1/reports": {
            "post": {
                "summary": "Report a contract; the details are encrypted before any write.",
                "requestBody": _body(_ref("ReportInput")),
                "responses": {
                    "201": _json(_ref("Receipt"), "Received: the receipt, shown this once."),
                    **_errors(400, 413, 415),
                },
            }
        },
        "/api/v1/reports/status": {
            "post": {
                "summary": "A report's review state and conversation, with its receipt.",
                "requestBody": _body(_ref("Receipt")),
                "responses": {
                    "200": _json(_ref("ReportStatus"), "The report's state."),
                    **_errors(400, 404, 413, 415),
                },
            }
        },
        "/api/v1/reports/messages": {
            "post": {
                "summary": "Write to the reviewers about a report, with its receipt.",
                "requestBody": _body(_ref("ReportMessageInput")),
                "responses": {
                    "201": _json(_ref("ReportStatus"), "Sent; the conversation so far."),
                    **_errors(400, 404, 413, 415),
                },
            }
        },
        "/api/v1/contracts": {
            "get": {
                "summary": "Published contract records, 50 a page.",
                "parameters": [
                    _query("employer", "An employer's slug.", maxLength=120),
                    _query("technology", "A technology slug.", maxLength=48),
                    _query("country", "ISO 3166-1 alpha-2.", maxLength=2),
                    _query("agency", "Words in the agency's name.", maxLength=200),
                    _query("page", "Page number, from 1.", pattern="^[0-9]{1,6}$"),
                ],
                "responses": {"200": _json(_ref("ContractPage"), "One page."), **_errors(400)},
            }
        },
        "/api/v1/taxonomy": {
            "get": {
                "summary": "The shared vocabulary: slugs and labels.",
                "responses": {"200": _json(_ref("Taxonomy"), "The vocabulary.")},
            }
        },
        "/api/v1/aggregates/reports": {
            "get": {
                "summary": "Counts of reports (every report not rejected, not merged away), "
                "with small-cell suppression. Organisers only.",
                "security": organiser_only,
                "parameters": AGGREGATE_PARAMETERS,
                "responses": {
                    "200": _json(_ref("Aggregate"), "One table of counts."),
                    **_errors(400, 401, 403),
                },
            }
        },
        "/api/v1/aggregates/contracts": {
            "get": {
                "summary": "Counts of published contract records, with small-cell suppression.",
                "parameters": AGGREGATE_PARAMETERS,
                "responses": {
                    "200": _json(_ref("Aggregate"), "One table of counts."),
                    **_errors(400),
                },
            }
        },
    }


_LEGACY_PATHS = _legacy_paths()
