"""Where the organisers' sign-in and account pages live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.organisers import attention as account_attention
from organise.organisers import organiser_pages, people_pages
from organise.organisers import pages as sign_in_pages

pages: list[BaseRoute] = []
api: list[BaseRoute] = []
# The public sign-in pages share the /organisers mount, and so its route names.
organiser: list[BaseRoute] = [
    Mount(
        "/organisers",
        routes=[*sign_in_pages.routes, *organiser_pages.routes, *people_pages.routes],
        name="organisers",
    )
]
# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*account_attention.SOURCES]
schemas: dict[str, Any] = {}
