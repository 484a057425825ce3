"""JSON API: aggregate counts of reports (organisers) and of published contracts (public).

`GET /api/v1/aggregates/reports?by=...` needs an organiser (browser session or API token);
`GET /api/v1/aggregates/contracts?by=...` is public and counts published contract records.
Both answer `{"by", "k", "filters", "withheld", "rows": [{"key", "label", "count",
"suppressed"}]}`, a hidden count being `null`.
"""

from __future__ import annotations

import functools

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.dashboard import exports
from organise.dashboard.aggregates import CONTRACTS, REPORTS, Aggregator, parse_by, parse_filters
from organise.i18n import _
from organise.organisers.models import Role
from organise.web.access import organisers, public, session_cookie_name
from organise.web.errors import RequestRefused

ANY_ROLE = (Role.ORGANISER, Role.REVIEWER, Role.ADMIN)


def small_cell_k(request: Request) -> int:
    return int(request.app.state.settings.small_cell_k)


@organisers(*ANY_ROLE)
async def _report_aggregates(request: Request) -> Response:
    by, filters = parse_by(request.query_params), parse_filters(request.query_params)
    answer = await Aggregator(REPORTS, small_cell_k(request)).answer(by, filters)
    return exports.answer_json(answer)


@functools.wraps(_report_aggregates)  # keeps its access policy (organisers only)
async def report_aggregates(request: Request) -> Response:
    """Scripts without a token or session get a JSON 401, not a redirect to the login page."""
    if "authorization" not in request.headers and session_cookie_name(request) not in (
        request.cookies
    ):
        raise RequestRefused(
            401, _("Send an organiser's API token: Authorization: Bearer ..."), "not_signed_in"
        )
    return await _report_aggregates(request)


@public
async def contract_aggregates(request: Request) -> Response:
    by, filters = parse_by(request.query_params), parse_filters(request.query_params)
    answer = await Aggregator(CONTRACTS, small_cell_k(request)).answer(by, filters)
    return exports.answer_json(answer)


routes = [
    Route(
        "/api/v1/aggregates/reports",
        report_aggregates,
        methods=["GET"],
        name="api_aggregates_reports",
    ),
    Route(
        "/api/v1/aggregates/contracts",
        contract_aggregates,
        methods=["GET"],
        name="api_aggregates_contracts",
    ),
]
