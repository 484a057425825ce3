"""Where the campaign pages and API live (see organise/app.py, which assembles them)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.campaigns import api as json_api
from organise.campaigns import organiser_views, views

pages: list[BaseRoute] = [
    Mount("/campaigns", routes=views.routes, name="campaigns"),
    Mount("/pledges", routes=views.pledge_routes, name="pledges"),
]
api: list[BaseRoute] = [
    Mount("/api/v1/campaigns", routes=json_api.campaign_routes, name="api_campaigns"),
    Mount("/api/v1/pledges", routes=json_api.pledge_routes, name="api_pledges"),
]
organiser: list[BaseRoute] = [
    Mount("/organisers/campaigns", routes=organiser_views.routes, name="campaign_organisers"),
]
schemas: dict[str, Any] = {}
