"""Where the organisers' sign-in and account pages live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.organisers import views

pages: list[BaseRoute] = []
api: list[BaseRoute] = []
organiser: list[BaseRoute] = [Mount("/organisers", routes=views.routes, name="organisers")]
schemas: dict[str, Any] = {}
