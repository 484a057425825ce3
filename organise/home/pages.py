"""The home page: what this tool is, what it protects and what it does not; and the way out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from organise.runtime import runtime
from organise.web.access import public
from organise.web.templating import render

# Asks the browser to drop what it keeps of this site: cached pages and any storage. History
# stays (no header can clear it); the home page says how to clear it by hand.
CLEAR_SITE_DATA = '"cache", "storage"'


@public
async def index(request: Request) -> Response:
    return render(request, "home/index.html", {"onion_url": runtime(request).settings.onion_url})


@public
async def leave(request: Request) -> Response:
    """ "Leave now": to a neutral site (ORGANISE_LEAVE_URL), clearing what the browser kept."""
    response = RedirectResponse(runtime(request).settings.leave_url, status_code=303)
    response.headers["clear-site-data"] = CLEAR_SITE_DATA
    return response


routes = [
    Route("/", index, methods=["GET"], name="home"),
    Route("/leave", leave, methods=["GET"], name="leave"),
]
