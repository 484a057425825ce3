"""Where the public contract database and its API live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.contracts import api as json_api
from organise.contracts import views

pages: list[BaseRoute] = [Mount("/contracts", routes=views.routes, name="contracts")]
api: list[BaseRoute] = [*json_api.routes]
organiser: list[BaseRoute] = []
schemas: dict[str, Any] = {}
