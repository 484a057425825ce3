"""Where a submission token travels: a worker form's address, or the `Idempotency-Key` header.

A worker form's page lives at its address with `?t=<token>`: a GET without one is redirected
to the same address with a fresh token, and the form posts back to that address. Pages are
`no-store`, so Back reloads the page at the same address, and so with the same token; a reload
of the answer sends the same form to the same address again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from crypto import codes, submissions
from organise.i18n import _
from organise.refusal import Refused
from organise.runtime import runtime
from organise.submissions.once import (
    Once,
    OtherContent,
    Outcomes,
    Work,
    content,
    forget,
    prepare,
    run_once,
)

T = TypeVar("T")

QUERY_PARAMETER = "t"
HEADER = "Idempotency-Key"

# The OpenAPI parameter of the endpoints that take the header.
IDEMPOTENCY_KEY_PARAMETER: dict[str, Any] = {
    "name": HEADER,
    "in": "header",
    "required": False,
    "description": (
        "Makes the request safe to repeat: the same key with the same body gets the first "
        "answer again and stores nothing new; with another body, 422. "
        f"{submissions.TOKEN_MIN_CHARS} to {submissions.TOKEN_MAX_CHARS} characters of "
        "A-Z, a-z, 0-9, '_' and '-'; kept (as a keyed hash) for at most 48 hours."
    ),
    "schema": {"type": "string", "pattern": submissions.TOKEN_PATTERN.pattern.join("^$")},
}


def _query_token(request: Request) -> str | None:
    return request.query_params.get(QUERY_PARAMETER)


def token_address(request: Request) -> Response | None:
    """For the GET of a worker form: a redirect to its address with a fresh token, or None
    when the address already carries a well-formed one."""
    if submissions.is_token(_query_token(request)):
        return None
    return RedirectResponse(f"{request.url.path}?{QUERY_PARAMETER}={codes.new_token()}", 303)


def form_action(request: Request) -> str:
    """Where the form on this page posts: this address, with its token (a fresh one if the
    address has none, or a damaged one)."""
    token = _query_token(request)
    if not submissions.is_token(token):
        token = codes.new_token()
    return f"{request.url.path}?{QUERY_PARAMETER}={token}"


def carry(request: Request, path: str) -> str:
    """`path` with this request's token, if its address has a well-formed one: the next form
    of the same submission (the receipt's confirmation, a follow-up's reply) posts there."""
    token = _query_token(request)
    return f"{path}?{QUERY_PARAMETER}={token}" if submissions.is_token(token) else path


def form_token(request: Request) -> str | None:
    """The token of a posted worker form; None when its address has none (an old page)."""
    token = _query_token(request)
    if token is None:
        return None
    if not submissions.is_token(token):
        raise Refused(
            _(
                "This form's address is damaged, so it was not sent. Check your answers and "
                "send it again."
            ),
            status=400,
            code="invalid_form_token",
        )
    return token


def api_token(request: Request) -> str | None:
    """The `Idempotency-Key` of a JSON request; None when there is none."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    if not submissions.is_token(key):
        raise Refused(
            _(
                "An Idempotency-Key is %(lo)d to %(hi)d characters: letters A-Z and a-z, "
                "digits, '_' and '-'."
            )
            % {"lo": submissions.TOKEN_MIN_CHARS, "hi": submissions.TOKEN_MAX_CHARS},
            status=400,
            code="invalid_idempotency_key",
        )
    return key


async def submission(request: Request, token: str | None, content: bytes) -> Once | None:
    """The submission of `content` under `token`, ready for `once.run_once` (None: no token)."""
    if token is None:
        return None
    served = runtime(request)
    return await prepare(token, content, keystore=served.keystore, now=served.clock())


async def organiser_submission(
    request: Request, form: str, values: Mapping[str, object]
) -> Once | None:
    """The submission of an organiser's API write under its `Idempotency-Key` (None: no key),
    bound to the signed-in account: the same key and body from another account is another
    request, never its answer."""
    acting = request.state.organiser
    return await submission(
        request, api_token(request), content(form, {**values, "by": str(acting.id)})
    )


async def once_per_token(
    request: Request,
    token: str | None,
    content: bytes,
    work: Work[T],
    outcomes: Outcomes[T],
    *,
    other_content: OtherContent,
) -> T:
    """Do `work` once per `token` (a worker form's, or the `Idempotency-Key`) and `content`:
    sent again, it answers with the first outcome (`once.run_once`; None: no token, it runs)."""
    once = await submission(request, token, content)
    return await run_once(once, work, outcomes, other_content=other_content)


async def forget_form_token(request: Request) -> None:
    """The worker has written the receipt down: delete the record of this form's token."""
    token = _query_token(request)
    if submissions.is_token(token):
        served = runtime(request)
        await forget(token, keystore=served.keystore, now=served.clock())
