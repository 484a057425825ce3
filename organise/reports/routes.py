"""Where the report pages, the review pages and the reports API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.reports import api as json_api
from organise.reports import review_views, views

pages: list[BaseRoute] = [Mount("/reports", routes=views.routes, name="reports")]
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = [
    Mount("/organisers/reports", routes=review_views.routes, name="review"),
]
schemas: dict[str, Any] = {}
