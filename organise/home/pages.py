"""The home page: what this tool is, what it protects and what it does not."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.web.access import public
from organise.web.templating import render


@public
async def index(request: Request) -> Response:
    return render(request, "home/index.html", {})


routes = [Route("/", index, methods=["GET"], name="home")]
