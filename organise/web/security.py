"""Headers on every response, and refusal of cross-site writes without cookies or JavaScript."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from organise.i18n import _, _l
from organise.refusal import Refused
from organise.web.errors import error_response

log = logging.getLogger("organise.errors")

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
BASELINE_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
    "cross-origin-resource-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
}
STATIC_PREFIX = "/static/"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
ALLOWED_FETCH_SITES = {"same-origin", "none"}


class SecurityHeadersMiddleware:
    """Outermost layer: every response, errors and static files included, gets the headers."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = scope["path"].startswith(STATIC_PREFIX)

        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = MutableHeaders(scope=message)
                for name, value in BASELINE_HEADERS.items():
                    headers[name] = value
                headers["cache-control"] = "public, max-age=3600" if is_static else "no-store"
                # Read now: the site address middleware may have set the scheme workers see.
                if scope.get("scheme") == "https":
                    headers["strict-transport-security"] = "max-age=31536000"
                if "server" in headers:
                    del headers["server"]
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception as exc:
            # The error handler has answered and logged a redacted line; letting the
            # exception reach the server would print a traceback that may hold user input.
            if started:
                return
            log.error("unhandled %s before any response", type(exc).__name__)
            await PlainTextResponse("Internal Server Error", status_code=500)(
                scope, receive, send_with_headers
            )


def _expected_origin(headers: Headers, scope: Scope) -> str:
    return f"{scope.get('scheme', 'http')}://{headers.get('host', '')}".lower()


def cross_site_reason(scope: Scope) -> str | None:
    """Why a state-changing request looks cross-site, or None when it may go on."""
    headers = Headers(scope=scope)
    fetch_site = headers.get("sec-fetch-site")
    if fetch_site is not None:
        return None if fetch_site.lower() in ALLOWED_FETCH_SITES else f"Sec-Fetch-Site {fetch_site}"
    origin = headers.get("origin")
    if origin is not None:
        return None if origin.lower() == _expected_origin(headers, scope) else "foreign Origin"
    # Neither header: not a modern browser (curl, an API client); the route's own checks apply.
    return None


class CrossSiteWriteMiddleware:
    """CSRF protection that needs no token, no cookie and no JavaScript."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        is_write = scope["type"] == "http" and scope["method"] not in SAFE_METHODS
        if is_write and cross_site_reason(scope) is not None:
            message = _(
                "This form was sent from another site, so it was refused. "
                "If you meant to send it, open this site directly and try again."
            )
            await error_response(Request(scope, receive), 403, message)(scope, receive, send)
            return
        await self.app(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse bodies over the limit with a readable 413, before the route reads them whole."""

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        if declared.isascii() and declared.isdigit() and int(declared) > self.max_body_bytes:
            await error_response(Request(scope, receive), 413)(scope, receive, send)
            return
        received = 0

        async def receive_limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                # Raised inside the route, so the ordinary 413 page answers it.
                raise Refused(_l("What you sent is too large."), status=413, code="too_large")
            return message

        await self.app(scope, receive_limited, send)
