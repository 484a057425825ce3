"""The language of a worker page, chosen by its address alone: `/fr/campaigns/...` is French.

An enabled language's prefix is moved from the path into `root_path`, so the routes match as
unprefixed and every link built with `url_for` carries the prefix on. Only worker and public
pages are served under a prefix; organiser pages, the JSON API and static files stay at their
one English address (anything else under a prefix is a 404 in that language).

No cookie and no redirect on `Accept-Language`: a worker on a shared or work computer must not
be sorted by their browser's language. The header may only add a link to the same page in the
language it asks for (organise/web/languages.py, docs/languages.md).
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from organise.i18n import DEFAULT_LOCALE, current_locale
from organise.settings import Settings
from organise.web.errors import error_response
from organise.web.languages import BASE_PATH, ENABLED, PAGE_NAMES, PAGE_PATH, TRANSLATABLE


def _route_path(scope: Scope) -> str:
    """The path the routes see: the request's path without the server's root path."""
    path, root = str(scope["path"]), str(scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root + "/") else path


def _prefix_of(route_path: str, enabled: Sequence[str]) -> tuple[str | None, str]:
    """(language, rest of the path) when `route_path` starts with an enabled language's
    prefix; (None, route_path) otherwise. English has no prefix."""
    first, slash, rest = route_path.removeprefix("/").partition("/")
    if first != DEFAULT_LOCALE and first in enabled:
        return first, slash + rest
    return None, route_path


class LanguagePrefixMiddleware:
    """Outermost but for the security headers, so that even error pages speak the language."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings,
        pages: Sequence[BaseRoute],
        others: Sequence[BaseRoute],
    ) -> None:
        self.app = app
        self.languages = settings.languages
        self.pages = tuple(pages)
        self.others = tuple(route for route in others if route not in self.pages)
        self.page_names = frozenset(
            name for route in self.pages if (name := getattr(route, "name", None))
        )

    def _is_page(self, scope: Scope) -> bool:
        """A worker page, or no page at all (its 404 is a worker page too)."""
        if any(route.matches(scope)[0] != Match.NONE for route in self.pages):
            return True
        return all(route.matches(scope)[0] == Match.NONE for route in self.others)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        base = str(scope.get("root_path", ""))
        language, rest = _prefix_of(_route_path(scope), self.languages)
        scope[BASE_PATH] = base
        scope[PAGE_PATH] = rest
        scope[PAGE_NAMES] = self.page_names
        scope[ENABLED] = self.languages
        if language is not None:
            scope["root_path"] = f"{base}/{language}"
            # A prefixed address must be a worker page: decided now, to refuse anything else.
            scope[TRANSLATABLE] = rest != "" and self._is_page(scope)
        else:
            # Unprefixed, it only decides whether a page shows its language links: matched
            # against the routes when a page asks (`languages.translatable`), not for every
            # JSON answer. On a copy: routing rewrites the scope's paths meanwhile.
            as_asked = dict(scope)
            scope[TRANSLATABLE] = lambda: self._is_page(as_asked)
        token = current_locale.set(language or DEFAULT_LOCALE)
        try:
            if language is not None and rest == "":
                # "/fr" is the French home page, "/fr/".
                await RedirectResponse(f"{base}/{language}/", status_code=308)(scope, receive, send)
            elif language is not None and not scope[TRANSLATABLE]:
                # An organiser page, the API or a static file: one English address only.
                await error_response(Request(scope, receive), 404)(scope, receive, send)
            else:
                await self.app(scope, receive, self._vary(send))
        finally:
            current_locale.reset(token)

    @staticmethod
    def _vary(send: Send) -> Send:
        async def send_with_vary(message: Message) -> None:
            if message["type"] == "http.response.start":
                # The suggestion link depends on Accept-Language (pages are never cached anyway).
                MutableHeaders(scope=message).add_vary_header("Accept-Language")
            await send(message)

        return send_with_vary
