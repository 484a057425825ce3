"""Every route declares who may use it; organiser routes check the session and the role.

A test walks the routing table and fails on any endpoint without a declared policy.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from organise.i18n import _
from organise.organisers.models import Role
from organise.organisers.sessions import SessionPolicy, resume_session
from organise.organisers.tokens import organiser_for_token
from organise.runtime import runtime
from organise.web.errors import RequestRefused

Endpoint = Callable[[Request], Awaitable[Response]]
ANY_ORGANISER = frozenset(Role)


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
    if session is None:
        if request.method in {"GET", "HEAD"} and not request.url.path.startswith("/api/"):
            return RedirectResponse(request.url_for("organisers:login"), status_code=303)
        raise HTTPException(401, _("Your session has ended. Please sign in again."))
    request.state.session = session
    request.state.session_token = token
    return None


def organisers(*roles: Role) -> Callable[[Endpoint], Endpoint]:
    """Only organisers with one of `roles` (all roles when none are named).

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
                raise RequestRefused(
                    401, _("API tokens work only on the JSON API (/api/)."), "token_not_allowed"
                )
            if bearer is not None:
                organiser = await organiser_for_token(
                    bearer, secret_key=runtime(request).secret_key
                )
                if organiser is None:
                    raise RequestRefused(401, _("This API token is not valid."), "invalid_token")
                request.state.session = request.state.session_token = None
            else:
                redirect = await _resume_browser_session(request)
                if redirect is not None:
                    return redirect
                organiser = request.state.session.organiser
            if organiser.role not in allowed:
                raise HTTPException(403, _("Your role does not allow this."))
            request.state.organiser = organiser
            return await endpoint(request)

        guarded.access_policy = AccessPolicy(roles=allowed)  # type: ignore[attr-defined]
        return guarded

    return decorate
