"""Every route declares who may use it; organiser routes check the session and the role.

A test walks the routing table and fails on any endpoint without a declared policy.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from organise.i18n import _l
from organise.organisers.sessions import SessionPolicy, resume_session
from organise.organisers.tokens import organiser_for_token
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import runtime
from organise.web.addresses import absolute_url

Endpoint = Callable[[Request], Awaitable[Response]]
# Every role but gatekeeper: a gatekeeper account holds and hands in shares, nothing more.
ANY_ORGANISER = frozenset(Role) - {Role.GATEKEEPER}
# The account's own pages (home, passphrase, two-step sign-in, sign-out): every role.
EVERY_ROLE = frozenset(Role)


@dataclass(frozen=True)
class AccessPolicy:
    # None: open to anyone, and the route never reads a session (worker pages).
    roles: frozenset[Role] | None

    @property
    def is_public(self) -> bool:
        return self.roles is None


def policy_of(endpoint: object) -> AccessPolicy | None:
    return getattr(endpoint, "access_policy", None)


def public(endpoint: Endpoint) -> Endpoint:
    """Open to everyone; no session is looked at, no cookie is set."""
    endpoint.access_policy = AccessPolicy(roles=None)  # type: ignore[attr-defined]
    return endpoint


def session_cookie_name(request: Request) -> str:
    # The __Host- prefix (Secure, Path=/, no Domain) is only valid over HTTPS.
    return "__Host-organise_session" if request.url.scheme == "https" else "organise_session"


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    # No Max-Age: a browser session cookie, gone when the browser closes; the server ends the
    # session itself after the idle and absolute timeouts.
    response.set_cookie(session_cookie_name(request), token, **_cookie_attributes(request))


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(session_cookie_name(request), **_cookie_attributes(request))


def _cookie_attributes(request: Request) -> dict[str, Any]:
    # Set and cleared with the same attributes, or a browser keeps the old cookie.
    return {
        "path": "/",
        "secure": request.url.scheme == "https",
        "httponly": True,
        "samesite": "strict",
    }


def _bearer_token(request: Request) -> str | None:
    scheme, _space, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def _resume_browser_session(request: Request) -> Response | None:
    """Load the cookie's session into request.state, or answer for a signed-out visitor."""
    context = runtime(request)
    token = request.cookies.get(session_cookie_name(request), "")
    session = await resume_session(
        token,
        secret_key=context.secret_key,
        policy=SessionPolicy.from_settings(context.settings),
    )
    if session is not None and session.organiser.disabled:
        # Disabling ends its sessions; this one was resumed at that very moment.
        await session.delete()
        session = None
    if session is None:
        if request.method in {"GET", "HEAD"} and not request.url.path.startswith("/api/"):
            return RedirectResponse(absolute_url(request, "organisers:login"), status_code=303)
        raise Refused(
            _l("Your session has ended. Please sign in again."), status=401, code="not_signed_in"
        )
    request.state.session = session
    request.state.session_token = token
    return None


def organisers(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Only organisers with one of `roles` (every role but gatekeeper when none are named).

    Signed in through the browser (session cookie) or, for scripts, with an API token
    (`Authorization: Bearer ...`). Token requests have no session and no private key.
    """
    allowed = frozenset(roles) or ANY_ORGANISER

    def decorate(endpoint: Endpoint) -> Endpoint:
        @functools.wraps(endpoint)
        async def guarded(request: Request) -> Response:
            bearer = _bearer_token(request)
            if bearer is not None and not request.url.path.startswith("/api/"):
                # Tokens are for scripts reading the API, never for managing the account.
                raise Refused(
                    _l("API tokens work only on the JSON API (/api/)."),
                    status=401,
                    code="token_not_allowed",
                )
            if bearer is not None:
                organiser = await organiser_for_token(
                    bearer, secret_key=runtime(request).secret_key
                )
                if organiser is None or organiser.disabled:
                    raise Refused(
                        _l("This API token is not valid."), status=401, code="invalid_token"
                    )
                request.state.session = request.state.session_token = None
            else:
                redirect = await _resume_browser_session(request)
                if redirect is not None:
                    return redirect
                organiser = request.state.session.organiser
            if organiser.role not in allowed:
                raise Refused(_l("Your role does not allow this."), status=403, code="forbidden")
            request.state.organiser = organiser
            return await endpoint(request)

        guarded.access_policy = AccessPolicy(roles=allowed)  # type: ignore[attr-defined]
        return guarded

    return decorate
