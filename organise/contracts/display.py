"""Showing contracts: the template helpers that turn slugs into translated words.

The report pages use them too, for the same vocabulary.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from organise.contracts import taxonomy
from organise.web import addresses, templating

# Helpers the templates call to show slugs as translated words.
TEMPLATE_HELPERS = {
    "label": taxonomy.label,
    "country_name": taxonomy.country_name,
    "countries": taxonomy.countries,
    "technology_groups": taxonomy.technology_groups,
    "taxonomy": taxonomy.taxonomy,
}


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return templating.render(request, name, {**TEMPLATE_HELPERS, **context}, status)


def base_url(request: Request) -> str:
    """The public base URL, for the `url` fields of the JSON and CSV (no trailing slash)."""
    return addresses.public_base(request)
