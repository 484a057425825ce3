"""JSON twins of the public database: /api/v1/contracts and /api/v1/taxonomy."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.contracts import search, taxonomy
from organise.contracts.views import base_url
from organise.web.access import public


@public
async def contracts(request: Request) -> Response:
    """`{"items": [...], "total": N, "next": URL or null}`; `total` counts every match."""
    query = search.parse_query(request.query_params)
    found, total = await search.find(query)
    root = base_url(request)
    next_url = None
    if search.has_next(query, total):
        next_url = str(request.url.include_query_params(page=query.page + 1))
    return JSONResponse(
        {
            "items": [search.as_json(contract, base_url=root) for contract in found],
            "total": total,
            "next": next_url,
        }
    )


@public
async def taxonomy_json(request: Request) -> Response:
    return JSONResponse(taxonomy.as_json())


routes = [
    Route("/api/v1/contracts", contracts, methods=["GET"], name="api_contracts"),
    Route("/api/v1/taxonomy", taxonomy_json, methods=["GET"], name="api_taxonomy"),
]
