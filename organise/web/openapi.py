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
from organise.submissions.tokens import IDEMPOTENCY_KEY_PARAMETER

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
ORGANISERS_ONLY: list[dict[str, list[str]]] = [{"bearerToken": []}, {"sessionCookie": []}]

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


# What an organiser's write can be refused with: a body that cannot be read or is wrong (400,
# 413, 415, 422), no sign-in or not the role (401, 403), nothing by that name (404), or a state
# that forbids it now (409).
WRITE_REFUSALS = (400, 401, 403, 404, 409, 413, 415, 422)


def organiser_write(
    summary: str,
    answers: Mapping[int, tuple[str | Mapping[str, Any], str]],
    *,
    body: FieldTable | str | None = None,
    path_schemas: Mapping[str, Mapping[str, Any]] | None = None,
    keyed: bool = True,
    refusals: Sequence[int] = WRITE_REFUSALS,
) -> Operation:
    """An organisers-only write: refused as `refusals` says (`WRITE_REFUSALS` unless told),
    and, when `keyed`, safe to send again with the same `Idempotency-Key`."""
    return Operation(
        summary=summary,
        answers=answers,
        body=body,
        refusals=refusals,
        parameters=(IDEMPOTENCY_KEY_PARAMETER,) if keyed else (),
        organisers_only=True,
        path_schemas=dict(path_schemas or {}),
    )


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


# Shared by the campaigns and the reports: the body of their receipt look-ups and the answer
# that hands a receipt out. A receipt is not read through a field table on purpose: every wrong
# receipt, whatever its type or length, gets the same "not found".
SCHEMAS: dict[str, Any] = {
    "Receipt": {
        "type": "object",
        "required": ["receipt"],
        "properties": {"receipt": {"type": "string", "maxLength": 200}},
    },
}
