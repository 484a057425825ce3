"""Jinja2 with autoescaping and gettext, shared by every feature, and `render` to use it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from organise.i18n import translations
from organise.web.resources import resource_dir


@cache
def templates() -> Jinja2Templates:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(resource_dir("templates")),
        # A hand-built environment is not autoescaped unless asked: ask, for every file.
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.install_gettext_translations(translations(), newstyle=True)  # type: ignore[attr-defined]
    return Jinja2Templates(env=environment)


def render(
    request: Request,
    name: str,
    context: Mapping[str, Any],
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """The template `name` (a path under templates/, e.g. "campaigns/sign.html").

    `headers`: extra ones, e.g. a refusal's `Retry-After`.
    """
    return templates().TemplateResponse(
        request, name, dict(context), status_code=status, headers=headers
    )
