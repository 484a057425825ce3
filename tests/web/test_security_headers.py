"""Every response carries the security baseline: pages, errors, static files."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.web.access import public

STRICT = {
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


def assert_baseline(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert csp.startswith("default-src 'none'")
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    for name, value in STRICT.items():
        assert response.headers[name] == value
    assert "server" not in response.headers
    assert "set-cookie" not in response.headers


@pytest.mark.parametrize("path", ["/", "/organisers/login", "/no-such-page"])
async def test_pages_and_errors_carry_headers_and_are_not_cached(client, path):
    response = await client.get(path)
    assert_baseline(response)
    assert response.headers["cache-control"] == "no-store"


async def test_static_files_carry_headers(client):
    response = await client.get("/static/organise.css")
    assert response.status_code == 200
    assert_baseline(response)
    assert "no-store" not in response.headers["cache-control"]


async def test_wrong_method_is_a_readable_405(client):
    response = await client.delete("/")
    assert response.status_code == 405
    assert_baseline(response)
    assert "does not accept that kind of request" in response.text


async def test_unexpected_error_is_a_plain_500_without_traceback(app: Starlette, client, caplog):
    secret_input = "canary-in-exception-message"

    @public
    async def explode(request: Request) -> Response:
        raise RuntimeError(secret_input)

    app.router.routes.append(Route("/explode", explode))
    response = await client.get("/explode")
    assert response.status_code == 500
    assert_baseline(response)
    assert "Traceback" not in response.text
    assert secret_input not in response.text
    assert "Something went wrong on our side" in response.text
    # The log names the error type and place, never its message.
    assert "RuntimeError" in caplog.text
    assert secret_input not in caplog.text


async def test_https_adds_strict_transport_security(app: Starlette):
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver") as http:
            response = await http.get("/")
    assert response.headers["strict-transport-security"].startswith("max-age=")
