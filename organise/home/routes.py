"""Where the home page lives (see organise/app.py, which assembles every feature's routes)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from organise.attention import Source
from organise.home import pages as home_pages

pages: list[BaseRoute] = [*home_pages.routes]
api: list[BaseRoute] = []
organiser: list[BaseRoute] = []
attention: list[Source] = []
schemas: dict[str, Any] = {}
