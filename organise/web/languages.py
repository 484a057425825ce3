"""What a page says about its language: the menu, the suggestion, the review notice.

The language itself is chosen by the address alone (organise/web/language_prefix.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import Scope

from organise.i18n import (
    DEFAULT_LOCALE,
    _l,
    current_locale,
    language_name,
    review_status,
    text_direction,
    translations,
)

# Scope keys set here and read by the templates' helpers below.
PAGE_PATH = "organise.page_path"  # the path without root path or language prefix
BASE_PATH = "organise.base_path"  # the root path the server was given, before any prefix
TRANSLATABLE = "organise.translatable"  # read through `translatable`
PAGE_NAMES = "organise.page_names"  # the route names (first part) of the worker pages
ENABLED = "organise.languages"  # the enabled languages (ORGANISE_LANGUAGES), English first


def translatable(scope: Scope) -> bool:
    """Whether this answer is a worker page, served in every enabled language (worked out
    once, when first asked: `LanguagePrefixMiddleware` leaves a check for unprefixed ones)."""
    found = scope.get(TRANSLATABLE, False)
    if callable(found):
        found = scope[TRANSLATABLE] = bool(found())
    return bool(found)


def link_root(scope: Scope, name: str) -> str:
    """The root path of a link to the route `name` from the page answering `scope`: with the
    language prefix for a worker page, without it for anything else (organiser pages, the
    API, static files), which has one English address."""
    root = str(scope.get("app_root_path", scope.get("root_path", "")))
    names = scope.get(PAGE_NAMES)
    if names is not None and name.partition(":")[0] not in names:
        return str(scope.get(BASE_PATH, ""))
    return root


# Said in the suggested language itself: its catalogue says "Cette page existe en français."
SUGGESTION = _l("This page exists in English.")


@dataclass(frozen=True)
class LanguageLink:
    code: str
    name: str  # in the language itself
    href: str
    direction: str
    current: bool


def _page_href(request: Request, language: str) -> str:
    scope = request.scope
    base, path = str(scope.get(BASE_PATH, "")), str(scope.get(PAGE_PATH, "/"))
    # The path is the visitor's (decoded) address: one leading slash and re-encoded, so that
    # "//elsewhere.example" or "/\\elsewhere.example" can never become a link to another site.
    path = "/" + quote(path.lstrip("/\\"), safe="/")
    prefix = "" if language == DEFAULT_LOCALE else f"/{language}"
    query = request.url.query
    return f"{base}{prefix}{path}" + (f"?{query}" if query else "")


def page_language() -> str:
    return current_locale.get()


def page_direction() -> str:
    return text_direction(current_locale.get())


def language_links(request: Request) -> list[LanguageLink]:
    """The same page in every enabled language; empty where only English is served."""
    enabled = request.scope.get(ENABLED, ())
    if len(enabled) < 2 or not translatable(request.scope):
        return []
    current = current_locale.get()
    return [
        LanguageLink(
            code,
            language_name(code),
            _page_href(request, code),
            text_direction(code),
            code == current,
        )
        for code in enabled
    ]


def _accepted(header: str) -> list[str]:
    """The primary language subtags of Accept-Language, most wanted first (q=0 left out)."""
    ranked: list[tuple[float, int, str]] = []
    for index, item in enumerate(header.split(",")[:20]):
        tag, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            name, _eq, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        primary = tag.split("-")[0].lower()
        if primary.isascii() and primary.isalpha() and weight > 0:
            ranked.append((-weight, index, primary))
    return [primary for _w, _i, primary in sorted(ranked)]


@dataclass(frozen=True)
class Suggestion:
    code: str
    text: str  # in the suggested language
    href: str
    direction: str


def language_suggestion(request: Request) -> Suggestion | None:
    """A link to this page in the language the browser asks for, if that is not this one."""
    enabled = request.scope.get(ENABLED, ())
    if len(enabled) < 2 or not translatable(request.scope):
        return None
    wanted = next(
        (
            code
            for code in _accepted(Headers(scope=request.scope).get("accept-language", ""))
            if code in enabled
        ),
        None,
    )
    if wanted is None or wanted == current_locale.get():
        return None
    text = translations(wanted).gettext(SUGGESTION.message)
    return Suggestion(wanted, text, _page_href(request, wanted), text_direction(wanted))


def english_href(request: Request) -> str | None:
    """The same page in English, for the notice of a translation not yet reviewed."""
    language = current_locale.get()
    if language == DEFAULT_LOCALE or review_status(language) is not None:
        return None
    return _page_href(request, DEFAULT_LOCALE)
