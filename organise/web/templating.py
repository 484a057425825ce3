"""Jinja2 with autoescaping and gettext, shared by every feature, and `render` to use it."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.responses import Response
from starlette.templating import Jinja2Templates

from organise.i18n import DEFAULT_LOCALE, gettext, ngettext, text_direction, written
from organise.i18n.formats import day, moment, number
from organise.runtime import runtime
from organise.web.access import policy_of
from organise.web.addresses import (
    absolute_url,
    fallback_address,
    path_for,
    printed_urls,
)
from organise.web.languages import (
    english_href,
    language_links,
    language_suggestion,
    page_direction,
    page_language,
)
from organise.web.resources import resource_dir


@jinja2.pass_context
def _url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> str:
    # A path, not a full address: a page's links follow whichever address it was opened at
    # (the public one, the onion service) and never repeat a Host header.
    return path_for(context["request"], name, **path_params)


@jinja2.pass_context
def _public_url_for(context: Mapping[str, Any], name: str, /, **path_params: Any) -> str:
    # A full address on the public base URL, for text to copy, print or pass on.
    return absolute_url(context["request"], name, **path_params)


@jinja2.pass_context
def _printed_urls(context: Mapping[str, Any], name: str, /, **path_params: Any) -> list[str]:
    # For paper: the public address, then the onion service's when there is one.
    return printed_urls(context["request"], name, **path_params)


@jinja2.pass_context
def _site_languages(context: Mapping[str, Any]) -> tuple[str, ...]:
    # The languages this site serves (ORGANISE_LANGUAGES): what organisers may write in and
    # print in.
    return tuple(runtime(context["request"]).settings.languages)


@jinja2.pass_context
def _other_languages(context: Mapping[str, Any]) -> list[str]:
    return [code for code in _site_languages(context) if code != DEFAULT_LOCALE]


def is_worker_page(request: Request) -> bool:
    """A page anyone may open (no session): it offers the way out, "Leave now".

    Pages answered before any route was chosen (an unknown address) count as worker pages.
    """
    endpoint = request.scope.get("endpoint")
    policy = policy_of(endpoint) if endpoint is not None else None
    return endpoint is None or policy is None or policy.is_public


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
    # Looked up at each call, in the language of the request being answered.
    environment.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    environment.globals.update(
        url_for=_url_for,
        public_url_for=_public_url_for,
        printed_urls=_printed_urls,
        is_worker_page=is_worker_page,
        fallback_address=fallback_address,
        page_language=page_language,
        page_direction=page_direction,
        language_links=language_links,
        language_suggestion=language_suggestion,
        english_href=english_href,
        # Organisers' words (a campaign's title and demand) in the reader's language.
        words_of=written.words_of,
        language_called=written.language_name,
        text_direction=text_direction,
        other_languages=_other_languages,
        site_languages=_site_languages,
    )
    environment.filters.update(day=day, moment=moment, number=number)
    return Jinja2Templates(env=environment)


def render_fragment(request: Request, name: str, context: Mapping[str, Any]) -> str:
    """The template `name` as HTML (autoescaped) for a page to place with `|safe`, rendered
    now, in the current language: a printed sheet in the language the organiser picked,
    inside an English page."""
    template = templates().get_template(name)
    return template.render({**context, "request": request})


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
