"""JSON twins of the public database: /api/v1/contracts and /api/v1/taxonomy."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.contracts import search, taxonomy
from organise.contracts.display import base_url
from organise.web.access import public
from organise.web.openapi import Operation, documented, query_parameter


@public
@documented(
    Operation(
        summary="Published contract records, 50 a page.",
        answers={200: ("ContractPage", "One page.")},
        refusals=(400,),
        parameters=[
            query_parameter("employer", "An employer's slug.", maxLength=search.MAX_SLUG_CHARS),
            query_parameter("technology", "A technology slug.", maxLength=48),
            query_parameter("country", "ISO 3166-1 alpha-2.", maxLength=2),
            query_parameter(
                "agency", "Words in the agency's name.", maxLength=search.MAX_FILTER_CHARS
            ),
            query_parameter("page", "Page number, from 1.", pattern="^[0-9]{1,6}$"),
        ],
    )
)
async def contracts(request: Request) -> Response:
    """`{"items": [...], "total": N, "next": URL or null}`; `total` counts every match."""
    query = search.parse_query(request.query_params)
    found, total = await search.find(query)
    root = base_url(request)
    next_url = None
    if search.has_next(query, total):
        following = request.url.include_query_params(page=query.page + 1)
        next_url = f"{root}{following.path}?{following.query}"
    return JSONResponse(
        {
            "items": [search.as_json(contract, base_url=root) for contract in found],
            "total": total,
            "next": next_url,
        }
    )


@public
@documented(
    Operation(
        summary="The shared vocabulary: slugs and labels.",
        answers={200: ("Taxonomy", "The vocabulary.")},
    )
)
async def taxonomy_json(request: Request) -> Response:
    return JSONResponse(taxonomy.as_json())


routes = [
    Route("/api/v1/contracts", contracts, methods=["GET"], name="api_contracts"),
    Route("/api/v1/taxonomy", taxonomy_json, methods=["GET"], name="api_taxonomy"),
]
