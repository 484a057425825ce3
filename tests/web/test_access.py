"""Every route declares an access policy, and organiser routes enforce it."""

from __future__ import annotations

import re

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from organise.roles import Role
from organise.web.access import organisers, policy_of
from tests.support import (
    GATEKEEPER_PASSPHRASE,
    SAME_ORIGIN,
    make_gatekeeper,
    make_organiser,
    post_form,
    sign_in,
)


def _endpoints(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, object]]:
    found: list[tuple[str, object]] = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            found += _endpoints(route.routes, prefix + route.path)
        elif isinstance(route, Mount):
            found.append((prefix + route.path, route.app))
        elif isinstance(route, Route):
            found.append((prefix + route.path, route.endpoint))
    return found


def test_every_route_declares_an_access_policy(app: Starlette):
    endpoints = _endpoints(app.routes)
    assert len(endpoints) > 5
    undeclared = [path for path, endpoint in endpoints if policy_of(endpoint) is None]
    assert undeclared == []


def test_every_organiser_route_requires_a_role(app: Starlette):
    """Organiser pages and the organisers' JSON API (whose roles and teams are walked per
    request in test_organiser_api_access.py)."""
    checked = 0
    for path, endpoint in _endpoints(app.routes):
        policy = policy_of(endpoint)
        if path.startswith(("/organisers", "/api/v1/organiser/")) and path not in {
            "/organisers/login",
            "/organisers/enrol",
        }:
            assert policy is not None, path
            assert not policy.is_public, path
            checked += path.startswith("/api/v1/organiser/")
    assert checked >= 3


async def test_signed_out_visitor_is_sent_to_the_sign_in_page(client):
    response = await client.get("/organisers/")
    assert response.status_code == 303
    assert response.headers["location"].endswith("/organisers/login")


async def test_signed_out_post_is_refused(client):
    response = await post_form(client, "/organisers/logout")
    assert response.status_code == 401
    assert "sign in again" in response.text


async def test_role_is_enforced(app: Starlette, client):
    @organisers(Role.ADMIN)
    async def admin_only(request: Request) -> Response:
        return PlainTextResponse("admin area")

    # The router reads its table per request, so a route added now is live.
    app.router.routes.append(Route("/admin-only", admin_only))
    await make_organiser("robin", Role.REVIEWER)
    await make_organiser("sam", Role.ADMIN)
    await sign_in(client, "robin")
    refused = await client.get("/admin-only")
    client.cookies.clear()
    await sign_in(client, "sam")
    allowed = await client.get("/admin-only")
    assert refused.status_code == 403
    assert "role does not allow" in refused.text
    assert allowed.status_code == 200
    assert allowed.text == "admin area"


async def test_signed_out_api_request_gets_json_401_not_a_redirect(app, client):
    @organisers()
    async def api_view(request: Request) -> Response:
        return PlainTextResponse("secret")

    app.router.routes.append(Route("/api/v1/test-only", api_view))
    response = await client.get("/api/v1/test-only")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_signed_in"


async def test_a_gatekeeper_gets_403_on_every_organiser_route_but_its_own(app, client):
    """Role gatekeeper: its account page and its shares, nothing else (walked, every route)."""
    await make_gatekeeper(app, "ana")
    assert (await sign_in(client, "ana", GATEKEEPER_PASSPHRASE)).status_code == 303
    own = {
        "/organisers/",
        "/organisers/logout",
        "/organisers/passphrase",
        "/organisers/totp",
        "/organisers/totp/disable",
        "/organisers/recovery-codes",
        "/organisers/shares/",
        "/organisers/shares/{share_id}/release",
    }
    walked = 0
    for path, endpoint in _endpoints(app.routes):
        policy = policy_of(endpoint)
        if policy is None or policy.is_public or path in own:
            assert path not in own or Role.GATEKEEPER in policy.roles, path
            continue
        assert Role.GATEKEEPER not in policy.roles, path
        concrete = re.sub(r"\{[^}]+:uuid\}", "00000000-0000-4000-8000-000000000001", path)
        concrete = re.sub(r"\{[^}]+\}", "x1", concrete)
        for method in ("GET", "POST"):
            response = await client.request(method, concrete, headers=SAME_ORIGIN)
            assert response.status_code in (403, 405), (method, path, response.status_code)
        walked += 1
    assert walked > 10
    assert (await client.get("/organisers/")).status_code == 200
    assert (await client.get("/organisers/shares/")).status_code == 200
