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
from organise.dashboard.aggregates import CONTRACTS, REPORTS, Aggregator, Source
from organise.dashboard.fields import BY, QUERY_TABLE, read_query
from organise.i18n import _
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import organisers, public, session_cookie_name
from organise.web.openapi import Operation, documented, query_parameter

# The query string, published from the field table that reads it.
AGGREGATE_PARAMETERS = [
    {
        **query_parameter(field.name, field.description, **field.schema_extra),
        "required": field is BY,
    }
    for field in QUERY_TABLE.fields
]


async def _answer(request: Request, source: Source) -> Response:
    by, filters = read_query(request.query_params)
    aggregator = Aggregator(source, runtime(request).settings.small_cell_k)
    return exports.answer_json(await aggregator.answer(by, filters))


@organisers()
async def _report_aggregates(request: Request) -> Response:
    return await _answer(request, REPORTS)


@documented(
    Operation(
        summary="Counts of reports (every report not rejected, not merged away), "
        "with small-cell suppression. Organisers only.",
        answers={200: ("Aggregate", "One table of counts.")},
        refusals=(400, 401, 403),
        parameters=AGGREGATE_PARAMETERS,
        organisers_only=True,
    )
)
@functools.wraps(_report_aggregates)  # keeps its access policy (organisers only)
async def report_aggregates(request: Request) -> Response:
    """Scripts without a token or session get a JSON 401, not a redirect to the login page."""
    if "authorization" not in request.headers and session_cookie_name(request) not in (
        request.cookies
    ):
        raise Refused(
            _("Send an organiser's API token: Authorization: Bearer ..."),
            status=401,
            code="not_signed_in",
        )
    return await _report_aggregates(request)


@public
@documented(
    Operation(
        summary="Counts of published contract records, with small-cell suppression.",
        answers={200: ("Aggregate", "One table of counts.")},
        refusals=(400,),
        parameters=AGGREGATE_PARAMETERS,
    )
)
async def contract_aggregates(request: Request) -> Response:
    return await _answer(request, CONTRACTS)


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
