"""The shared keystore's part of the app: no page, one line of the account page's list."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute

from organise.attention import Source
from organise.keystore.attention import SOURCES

pages: list[BaseRoute] = []
api: list[BaseRoute] = []
organiser: list[BaseRoute] = []
attention: list[Source] = list(SOURCES)
schemas: dict[str, Any] = {}
