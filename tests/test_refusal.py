"""Refused: one type for every refusal, rendered by one handler as a page or as JSON."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from organise.app import routes as app_routes
from organise.i18n import _l
from organise.refusal import Refused
from organise.web.errors import EXCEPTION_HANDLERS


def _refuse(request: Request) -> None:
    raise Refused(
        {"name": _l("Name is required."), "count": "Count must be a whole number."},
        status=422,
        code="missing_field",
        headers={"Retry-After": "5"},
    )


def _client() -> TestClient:
    # The error page links the app's own routes (home, stylesheet): serve them beside.
    routes = [Route("/api/v1/thing", _refuse), Route("/thing", _refuse), *app_routes()]
    return TestClient(Starlette(routes=routes, exception_handlers=EXCEPTION_HANDLERS))


def test_json_names_every_refused_field():
    response = _client().get("/api/v1/thing")
    assert response.status_code == 422
    assert response.headers["retry-after"] == "5"
    assert response.json() == {
        "error": {
            "code": "missing_field",
            "message": "Name is required.",
            "fields": {"name": "Name is required.", "count": "Count must be a whole number."},
        }
    }


def test_a_page_shows_the_reason_without_a_traceback():
    response = _client().get("/thing")
    assert response.status_code == 422
    assert "Name is required." in response.text
    assert "Traceback" not in response.text


def test_a_whole_request_refusal_has_no_field_map():
    refusal = Refused("Closed.", status=409, code="campaign_closed")
    assert refusal.field == ""
    assert str(refusal) == "Closed."


@pytest.mark.parametrize("status", [200, 302, 500])
def test_a_refusal_is_never_a_success_or_a_server_error(status):
    with pytest.raises(ValueError, match="4xx"):
        Refused("No.", status=status)
