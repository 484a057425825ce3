"""Where the organiser dashboard and the aggregates API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.dashboard import api as json_api
from organise.dashboard import views

pages: list[BaseRoute] = []
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = [
    Mount("/organisers/dashboard", routes=views.routes, name="dashboard"),
]
schemas: dict[str, Any] = {}
