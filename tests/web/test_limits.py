"""Which endpoints count failures, and how their 429 reads (per-feature tests: test_limits.py
in tests/campaigns, tests/reports and tests/organisers)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from organise.app import document
from organise.i18n import current_locale
from organise.refusal import Refused
from organise.web.access import policy_of
from organise.web.limits import COUNTED, limited_endpoint, too_many

# Sign-in counts failures per account name instead (organise.organisers.throttle).
OWN_RULES = {"/organisers/login"}


def _routes(routes: list[BaseRoute], prefix: str = "") -> list[tuple[str, set[str], object]]:
    found: list[tuple[str, set[str], object]] = []
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            found += _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            found.append((prefix + route.path, set(route.methods or ()), route.endpoint))
    return found


def test_every_public_write_counts_its_failures(app: Starlette):
    public_writes = {
        path
        for path, methods, endpoint in _routes(app.routes)
        if "POST" in methods and policy_of(endpoint).is_public
    }
    assert len(public_writes) > 10
    limited = {
        path
        for path, methods, endpoint in _routes(app.routes)
        if "POST" in methods and limited_endpoint(endpoint)
    }
    assert public_writes - OWN_RULES == limited
    # A share link is tested on GET too (the confirmation page).
    [link] = [e for path, m, e in _routes(app.routes) if path == "/shares/{secret}" and "GET" in m]
    assert limited_endpoint(link)


def test_limited_json_endpoints_document_their_429(app: Starlette):
    paths = document()["paths"]
    for path, methods, endpoint in _routes(app.routes):
        if path.startswith("/api/") and limited_endpoint(endpoint):
            for method in methods - {"HEAD"}:
                assert "429" in paths[path][method.lower()]["responses"], path


def test_a_429_keeps_the_reasons_and_says_when_to_try_again():
    token = current_locale.set("en")
    try:
        refused = Refused({"name": "Please enter a name."}, status=422)
        answer = too_many(refused, 1)
        assert answer.status == 429
        assert answer.code == "too_many_attempts"
        assert answer.headers == {"Retry-After": "1"}
        assert answer.message.startswith("Please enter a name. Too many failed attempts")
        assert answer.message.endswith("Please wait 1 second before trying again.")
        assert answer.field_messages()["name"] == "Please enter a name."
        assert "Please wait 60 seconds" in too_many(refused, 60).message
        assert "Please wait 30 minutes" in too_many(refused, 1800).message
        assert "Please wait 3 minutes" in too_many(refused, 121).message
    finally:
        current_locale.reset(token)
    # Conflicts (a closed campaign, a share already taken) are never counted.
    assert not {409, 410, 429, 503} & COUNTED
