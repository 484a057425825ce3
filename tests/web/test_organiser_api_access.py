"""Every organiser JSON endpoint refuses whoever its rules leave out, walked from the routing
table (`organise.app.routes()`), so that a route added later is checked without being named.

For each route under /api/v1/organiser/ and each of its methods:

- no token: 401; a token of each role outside the route's access policy: 403;
- for a path parameter that belongs to a campaign's or a survey's team, a token of each role the
  route allows, held by someone off that team, gets exactly the 404 of a value that names
  nothing (same status, same body), while the team's own token gets past both checks.

Every path parameter needs a rule in `PATH_RULES` (how to make a real value, a value naming
nothing, whether it belongs to a team); a route with a parameter the table does not know fails
the test with a message saying to add one. Requests carry no body: nothing is changed by the
walk, and the team and role are checked before any body is read.
"""

from __future__ import annotations

import re
import sys
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from organise.app import routes
from organise.reports.fields import read_report
from organise.reports.models import Report
from organise.reports.submission import submit
from organise.roles import Role
from organise.web.access import organisers, policy_of
from organise.web.openapi import walk
from tests.campaigns.conftest import make_campaign
from tests.reports.helpers import report_json
from tests.support import api_token_headers, make_organiser
from tests.surveys.conftest import make_survey

PREFIX = "/api/v1/organiser/"
# A path parameter, named by the collection before it ("campaigns/slug", "surveys/slug"): the
# same name can stand for different things.
_PARAMETER = re.compile(r"([a-z_-]+)/{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?}")
OWNER = "owner"


@dataclass(frozen=True)
class PathRule:
    """How the walk fills one path parameter."""

    # A real value, made for the walk (once per parameter), that the route's owner account
    # (OWNER, role organiser) may reach.
    make: Callable[[Starlette], Awaitable[str]]
    # A well-formed value that names nothing.
    unknown: str
    # The value belongs to a campaign's team: anyone else, whatever their role, gets the 404
    # of `unknown` for it. False for values every holder of an allowed role may reach.
    team_only: bool = False


async def _team_campaign(app: Starlette) -> str:
    return (await make_campaign(app, owner=OWNER)).campaign.slug


async def _report(app: Starlette) -> str:
    served = app.state.runtime
    await submit(read_report(report_json()), keystore=served.keystore, pepper=served.code_pepper)
    return str(await Report.first().values_list("id", flat=True))


async def _account(app: Starlette) -> str:
    return (await make_organiser("someone-else", Role.ORGANISER)).username


async def _team_survey(app: Starlette) -> str:
    return (await make_survey(app, owner=OWNER, slug="walk-survey")).slug


# Add a rule here for each new path parameter of the organiser API ("collection/name").
PATH_RULES: dict[str, PathRule] = {
    "campaigns/slug": PathRule(make=_team_campaign, unknown="no-such-campaign", team_only=True),
    "surveys/slug": PathRule(make=_team_survey, unknown="no-such-survey", team_only=True),
    # Reports belong to no team: every reviewer and admin reviews them all.
    "reports/report_id": PathRule(make=_report, unknown=str(uuid.UUID(int=0))),
    # Accounts are an admin's to manage, whoever's they are.
    "accounts/username": PathRule(make=_account, unknown="no-such-account"),
}


@dataclass(frozen=True)
class Endpoint:
    path: str
    method: str
    roles: frozenset[Role]


def organiser_endpoints() -> list[Endpoint]:
    found = []
    for path, route in walk(routes()):
        if not path.startswith(PREFIX):
            continue
        policy = policy_of(route.endpoint)
        assert policy is not None, f"{path} declares no access policy"
        assert policy.roles is not None, f"{path} is open to anyone"
        for method in sorted((route.methods or set()) - {"HEAD"}):
            found.append(Endpoint(path, method, policy.roles))
    return found


def _parameters(path: str) -> list[str]:
    return [f"{collection}/{name}" for collection, name in _PARAMETER.findall(path)]


def _fill(path: str, values: dict[str, str]) -> str:
    return _PARAMETER.sub(
        lambda match: f"{match.group(1)}/{values[f'{match.group(1)}/{match.group(2)}']}", path
    )


class Tokens:
    """One API token per (role, name), made on first use."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.made: dict[tuple[Role, str], dict[str, str]] = {}

    async def of(self, role: Role, name: str = "") -> dict[str, str]:
        key = (role, name)
        if key not in self.made:
            username = f"{name or 'someone'}-{role.value}"
            self.made[key] = await api_token_headers(self.app, username, role)
        return self.made[key]


def test_every_path_parameter_of_the_organiser_api_has_a_rule():
    endpoints = organiser_endpoints()
    # The campaigns' ten, at least; the walk must not pass by finding nothing.
    assert len(endpoints) >= 10
    unknown = sorted(
        {
            f"{name} in {endpoint.method} {endpoint.path}"
            for endpoint in endpoints
            for name in _parameters(endpoint.path)
            if name not in PATH_RULES
        }
    )
    assert not unknown, (
        "The organiser API has path parameters the access test cannot fill: "
        + "; ".join(unknown)
        + ". Add a rule for each to PATH_RULES in tests/web/test_organiser_api_access.py."
    )


async def test_every_organiser_endpoint_refuses_other_roles_and_other_teams(app, client):
    endpoints = organiser_endpoints()
    assert all(name in PATH_RULES for e in endpoints for name in _parameters(e.path)), (
        "see test_every_path_parameter_of_the_organiser_api_has_a_rule"
    )
    tokens = Tokens(app)
    owner = await api_token_headers(app, OWNER, Role.ORGANISER)
    real = {name: await rule.make(app) for name, rule in PATH_RULES.items()}
    unknown = {name: rule.unknown for name, rule in PATH_RULES.items()}
    checked_teams = 0
    for endpoint in endpoints:
        where = f"{endpoint.method} {endpoint.path}"
        path = _fill(endpoint.path, real)

        anonymous = await client.request(endpoint.method, path)
        assert anonymous.status_code == 401, (where, anonymous.text)

        for role in sorted(set(Role) - endpoint.roles):
            refused = await client.request(endpoint.method, path, headers=await tokens.of(role))
            assert refused.status_code == 403, (where, role, refused.text)
            assert refused.json()["error"]["code"] == "forbidden", (where, role)

        names = _parameters(endpoint.path)
        team_only = [name for name in names if PATH_RULES[name].team_only]
        if Role.ORGANISER in endpoint.roles:
            # The team's own token gets past the role and the team (no body: a 4xx about it,
            # or the 403 of what needs a browser session's key, which is no role's refusal).
            own = await client.request(endpoint.method, path, headers=owner)
            assert own.status_code not in (401, 404), (where, own.text)
            if own.status_code == 403:
                assert own.json()["error"]["code"] == "needs_session", (where, own.text)
        for name in team_only:
            nothing = _fill(endpoint.path, real | {name: unknown[name]})
            for role in sorted(endpoint.roles):
                outsider = await tokens.of(role, "outsider")
                theirs = await client.request(endpoint.method, path, headers=outsider)
                none = await client.request(endpoint.method, nothing, headers=outsider)
                assert theirs.status_code == 404, (where, role, theirs.text)
                assert (theirs.status_code, theirs.content) == (none.status_code, none.content), (
                    where,
                    role,
                )
            checked_teams += 1
    assert checked_teams >= 8  # every campaign route but the collection's two


async def test_a_new_route_with_an_unknown_parameter_fails_the_walk(monkeypatch):
    """The rule above is enforced: a route whose parameter has no rule is reported by name."""

    @organisers(Role.ADMIN)
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse("never reached")

    added = Route("/api/v1/organiser/things/{thing_id}", endpoint, methods=["GET"])
    table = routes()
    monkeypatch.setattr(sys.modules[__name__], "routes", lambda: [*table, added])
    with pytest.raises(AssertionError, match="Add a rule") as failure:
        test_every_path_parameter_of_the_organiser_api_has_a_rule()
    assert "things/thing_id in GET /api/v1/organiser/things/{thing_id}" in str(failure.value)
