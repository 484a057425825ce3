"""The OpenAPI document is served, and schemathesis finds the app true to it.

Schemathesis generates requests for every operation in /api/v1/openapi.json and runs them
in-process against the app (lifespan and database included, through Starlette's TestClient):
no server error, every status documented, every answer matching its schema.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from starlette.testclient import TestClient

from organise.app import create_app, document
from organise.settings import Settings
from organise.web.openapi import walk
from tests.conftest import _empty_tables
from tests.dashboard.data import load_contracts, load_reports
from tests.support import api_token_headers

schema = schemathesis.openapi.from_dict(document())
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture(scope="module")
def api(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    instance = tmp_path_factory.mktemp("openapi") / "instance"
    app = create_app(
        Settings(
            instance_dir=instance,
            database_url=database_url,
            keystore_path=instance / "keystore.sqlite3",
        )
    )

    async def prepare() -> dict[str, str]:
        await load_reports()
        await load_contracts()
        return await api_token_headers(app, "schema")

    with TestClient(app, base_url="http://testserver") as client:
        headers = client.portal.call(prepare)
        try:
            yield client, headers
        finally:
            client.portal.call(_empty_tables)


@schema.parametrize()
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_openapi_document(case, api):
    client, headers = api
    kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
    kwargs.pop("base_url", None)
    # Organiser operations are exercised with the bearer token; generated cookies are dropped.
    kwargs.pop("cookies", None)
    # Schemathesis serialises bodies for `requests` (data=bytes); httpx wants content=.
    if isinstance(kwargs.get("data"), bytes | str):
        kwargs["content"] = kwargs.pop("data")
    response = client.request(**kwargs)
    case.validate_response(response, checks=CHECKS)


def test_the_document_is_served_and_lists_every_json_route(api):
    client, _headers = api
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    served = response.json()
    assert served["openapi"].startswith("3.")
    # A JSON route without @documented would be missing from the document: none is.
    api_paths = {path for path, _route in walk(client.app.routes) if path.startswith("/api/")}
    assert api_paths == set(served["paths"])


def test_asyncio_is_not_left_running():
    # The module's TestClient runs its own event loop in a thread; the suite's loop is untouched.
    with pytest.raises(RuntimeError):
        asyncio.get_running_loop()


def _unconstrained(name: str, schema: dict) -> list[str]:
    """The properties of a body schema a client could send without a published limit."""
    kind = schema.get("type")
    if "enum" in schema or kind == "boolean":
        return []
    if kind == "string":
        return [] if "maxLength" in schema else [name]
    if kind == "integer":
        return [] if {"minimum", "maximum"} <= set(schema) else [name]
    if kind == "array":
        missing = [] if "maxItems" in schema else [name]
        return missing + _unconstrained(f"{name}[]", schema["items"])
    if kind == "object":
        missing = [] if "maxProperties" in schema else [name]
        for key, rule in schema.get("properties", {}).items():
            missing += _unconstrained(f"{name}.{key}", rule)
        extra = schema.get("additionalProperties", True)
        if extra is True:
            missing.append(f"{name}.*")
        elif extra is not False:
            missing += _unconstrained(f"{name}.*", extra)
        return missing
    return [name]


def test_every_organiser_campaign_body_publishes_its_limits():
    """Each request body of /api/v1/organiser/campaigns... carries its lengths, ranges and
    accepted values, and refuses fields it does not list."""
    published = document()
    bodies = {}
    for path, operations in published["paths"].items():
        if not path.startswith("/api/v1/organiser/campaigns"):
            continue
        for method, operation in operations.items():
            if "requestBody" in operation:
                reference = operation["requestBody"]["content"]["application/json"]["schema"]
                bodies[f"{method} {path}"] = reference["$ref"].rsplit("/", 1)[-1]
            assert operation["security"], (method, path)
    assert len(bodies) == 7  # create, change, invites, revoke, stop, extend, team
    for where, name in bodies.items():
        schema = published["components"]["schemas"][name]
        assert schema["additionalProperties"] is False, where
        loose = [
            field
            for field, rule in schema["properties"].items()
            for field in _unconstrained(field, rule)
        ]
        assert loose == [], where
    components = published["components"]["schemas"]
    # A destructive operation says what confirming does, and accepts only true.
    for name in ("StopInput", "RevokeInput"):
        confirm = components[name]["properties"]["confirm"]
        assert confirm["enum"] == [True]
        assert "confirm" in components[name]["required"]
        assert confirm["description"].startswith("Must be true: ")
    assert "destroyed unread" in components["StopInput"]["properties"]["confirm"]["description"]
    create = components["CampaignCreate"]["properties"]
    assert create["threshold"]["minimum"] >= 1
    assert create["audience"]["enum"] == ["organisers", "cosigners", "public"]
    assert create["gate_mode"]["enum"] == ["server", "server_and_gatekeepers", "any_k_of_n"]
    assert components["InvitesInput"]["properties"]["count"] == {
        "type": "integer",
        "minimum": 1,
        "maximum": 500,
    }
