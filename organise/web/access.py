"""Every route declares who may use it; organiser routes check the session and the role.

A test walks the routing table and fails on any endpoint without a declared policy.

Who a request is signed in as is told by the feature that keeps the accounts (their sessions
and API tokens, `organise.organisers.signins`): the app installs it (`install_sign_ins`), so
this glue below the features knows the roles (`organise.roles`) but no account.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from organise.i18n import _l
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import Runtime, runtime
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


class Account(Protocol):
    """A signed-in account, as the access rules see it."""

    @property
    def role(self) -> Role: ...


@dataclass(frozen=True)
class SignedIn:
    account: Account
    # The browser session the cookie named, for the pages that use it (the account's private
    # key, signing out); None for an API token.
    session: object | None = None


@dataclass(frozen=True)
class SignIns:
    """How a request shows who it is: a browser session's cookie token, or an API token."""

    by_session: Callable[[str, Runtime], Awaitable[SignedIn | None]]
    by_api_token: Callable[[str, Runtime], Awaitable[SignedIn | None]]


def install_sign_ins(app: Starlette, sign_ins: SignIns) -> None:
    app.state.sign_ins = sign_ins


def _sign_ins(request: Request) -> SignIns:
    found = getattr(request.app.state, "sign_ins", None)
    if not isinstance(found, SignIns):
        raise RuntimeError("the app has no sign-ins installed (organise.app.create_app does it)")
    return found


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


def _signed_out(request: Request) -> Response:
    """The answer to a visitor with no live session: the sign-in page, or a 401 to the API and
    to a form sent after the session ended."""
    if request.method in {"GET", "HEAD"} and not request.url.path.startswith("/api/"):
        return RedirectResponse(absolute_url(request, "organisers:login"), status_code=303)
    raise Refused(
        _l("Your session has ended. Please sign in again."), status=401, code="not_signed_in"
    )


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
            sign_ins, context = _sign_ins(request), runtime(request)
            if bearer is not None:
                token = None
                signed_in = await sign_ins.by_api_token(bearer, context)
                if signed_in is None:
                    raise Refused(
                        _l("This API token is not valid."), status=401, code="invalid_token"
                    )
            else:
                token = request.cookies.get(session_cookie_name(request), "")
                signed_in = await sign_ins.by_session(token, context)
                if signed_in is None:
                    return _signed_out(request)
            if signed_in.account.role not in allowed:
                raise Refused(_l("Your role does not allow this."), status=403, code="forbidden")
            request.state.organiser = signed_in.account
            request.state.session = signed_in.session
            request.state.session_token = token
            return await endpoint(request)

        guarded.access_policy = AccessPolicy(roles=allowed)  # type: ignore[attr-defined]
        return guarded

    return decorate
