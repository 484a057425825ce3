"""Which `Host` the server answers, Onion-Location, and the refusal of Tor2web gateways.

With ORGANISE_PUBLIC_URL set, a request is answered only when its `Host` is that address or the
onion service's (ORGANISE_ONION_URL); anything else gets a 400 that repeats nothing of what was
sent. Without it, any `Host` is answered but none is believed: the request is made to read as
sent to the address the server is bound to. Either way the chosen address replaces the header
before anything else reads it, so whatever Starlette builds from `request.url` (the redirect of
a missing slash, say) carries our own address and never one a client made up.
"""

from __future__ import annotations

from urllib.parse import quote_from_bytes

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from organise.i18n import _
from organise.settings import Settings
from organise.web.addresses import (
    LOOPBACK_DEFAULT,
    bound_address,
    configured_origin,
    scheme_and_netloc,
)
from organise.web.errors import error_response

# Added by Tor2web gateways, which open onion services for ordinary browsers.
TOR2WEB_HEADER = "x-tor2web"
# Characters kept as they are in Onion-Location's path and query; everything else is escaped.
_URL_SAFE = "/%:@!$&'()*+,;=-._~?"


def _onion_location(onion: str, scope: Scope) -> str:
    raw_path = scope.get("raw_path") or scope["path"].encode("utf-8")
    location = onion + quote_from_bytes(raw_path, safe=_URL_SAFE)
    query = scope.get("query_string", b"")
    return location + ("?" + quote_from_bytes(query, safe=_URL_SAFE) if query else "")


def _set_host(scope: Scope, netloc: str) -> None:
    """Make `netloc` the request's only `Host`: what was sent is gone before anything reads it."""
    headers = [(name, value) for name, value in scope["headers"] if name != b"host"]
    scope["headers"] = [(b"host", netloc.encode("ascii")), *headers]


class SiteAddressMiddleware:
    """Answer only for our own address; refuse Tor2web; advertise the onion service."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        public = self.settings.public_url
        found = bound_address(scope) if public is None else configured_origin(self.settings, scope)
        origin = found or public or LOOPBACK_DEFAULT
        scheme, netloc = scheme_and_netloc(origin)
        _set_host(scope, netloc)
        if public is not None:
            # The address workers use is the scheme they see, whatever sits in front of us.
            scope["scheme"] = scheme
        if TOR2WEB_HEADER in Headers(scope=scope):
            refusal = error_response(Request(scope, receive), 403, self._tor2web_message())
            await refusal(scope, receive, send)
            return
        if found is None:
            message = _("This server does not answer to the address this request was sent to.")
            await error_response(Request(scope, receive), 400, message)(scope, receive, send)
            return
        onion = self.settings.onion_url
        if onion is None or origin == onion:
            await self.app(scope, receive, send)
            return
        location = _onion_location(onion, scope)

        async def send_with_onion(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)["onion-location"] = location
            await send(message)

        await self.app(scope, receive, send_with_onion)

    def _tor2web_message(self) -> str:
        refusal = _(
            "You reached this site through a Tor2web gateway: a website that opens onion "
            "services in an ordinary browser. The gateway sees your address and everything you "
            "read and send here, so this site does not answer through one. Open it in Tor "
            "Browser instead."
        )
        if self.settings.onion_url is None:
            return refusal
        return refusal + " " + _("Its onion address: %(url)s") % {"url": self.settings.onion_url}
