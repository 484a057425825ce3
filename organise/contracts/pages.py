"""The public contract database: browse, search, one page per employer and per contract."""

from __future__ import annotations

import re
import uuid
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from organise.contracts import export, search
from organise.contracts.campaign_links import campaigns_about
from organise.contracts.display import base_url, render
from organise.contracts.models import Contract, Employer
from organise.i18n import _
from organise.refusal import Refused
from organise.web.access import public

# Employer slugs: at most the column's 120 characters, no control characters.
_SLUG = re.compile(r"[^\x00-\x1f\x7f]{1,120}")


async def _listing(request: Request, query: search.ContractQuery) -> dict[str, Any]:
    contracts, total = await search.find(query)
    return {
        "query": query,
        "contracts": contracts,
        "total": total,
        "has_next": search.has_next(query, total),
        "page_size": search.PAGE_SIZE,
        "employers_of": search.employers_of,
        "technologies_of": search.technologies_of,
    }


@public
async def index(request: Request) -> Response:
    query = search.parse_query(request.query_params)
    context = await _listing(request, query)
    context["employers"] = await search.employers_with_contracts()
    context["countries"] = await search.countries_with_contracts()
    return render(request, "contracts/index.html", context)


@public
async def employer_page(request: Request) -> Response:
    slug = str(request.path_params["slug"])
    employer = None
    if _SLUG.fullmatch(slug):  # anything else (too long, NUL...) names no employer
        employer = await Employer.get_or_none(slug=slug)
    if employer is None:
        raise Refused(_("There is no employer at this address."), status=404, code="not_found")
    params = {**request.query_params, "employer": employer.slug}
    query = search.parse_query(params)
    context = await _listing(request, query)
    context["employer"] = employer
    context["campaigns"] = await campaigns_about(request, [employer])
    return render(request, "contracts/employer.html", context)


@public
async def contract_page(request: Request) -> Response:
    contract_id: uuid.UUID = request.path_params["contract_id"]
    contract = await search.with_details(Contract.filter(id=contract_id)).first()
    if contract is None:
        raise Refused(
            _("There is no published contract at this address."), status=404, code="not_found"
        )
    employers = search.employers_of(contract)
    return render(
        request,
        "contracts/contract.html",
        {
            "contract": contract,
            "employers": employers,
            "campaigns": await campaigns_about(request, employers, contract.id),
            "technologies": search.technologies_of(contract),
            "sources": search.sources_of(contract),
        },
    )


@public
async def export_csv(request: Request) -> Response:
    query = search.parse_query(request.query_params)
    return StreamingResponse(
        export.csv_chunks(query, base_url=base_url(request)),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="contracts.csv"'},
    )


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/export.csv", export_csv, methods=["GET"], name="export_csv"),
    Route("/employers/{slug}", employer_page, methods=["GET"], name="employer"),
    Route("/{contract_id:uuid}", contract_page, methods=["GET"], name="contract"),
]
