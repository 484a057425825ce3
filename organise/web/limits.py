"""Failures past an endpoint's limit are answered 429; a right code, receipt or share never is.

Worker endpoints that test a secret (an invite code, a receipt, a gatekeeper share, a share
link, an enrolment code) or read a form are marked `@counts_failures`. Their failures are
counted per endpoint, in this process's memory (`organise.ratelimit`), never per client: behind
an onion service every client is 127.0.0.1, and we store no addresses.

The order is the point. The secret is always tested first: that is cheap (a keyed hash and one
indexed look-up) and decides everything. Only a request that fails anyway can meet the limit:
once the endpoint's bucket is empty, its failure is answered 429 with `Retry-After` (and with
its own reasons, so that a worker who mistyped learns what to fix). A request whose secret is
right is answered as always, however many failures came before it, so a flood of guesses cannot
keep a worker from signing, checking or withdrawing a pledge, or a gatekeeper from handing in a
share, near a deadline. Refusing before testing would do exactly that.

What counts as a failure: a refusal with a status in `COUNTED` (malformed, unknown, refused;
not a conflict such as "this campaign is closed", which a right secret can meet too). A refusal
that comes after the secret proved right (`secret_proven`) is never counted, and a refusal that
may come before the secret was tested (a field to correct beside a right invite code) is turned
into a 429 only if the secret, tested again, is wrong (`still_valid`, or for the refusals a
handler lets through, the test it gave `retest_with`).
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

from organise.i18n import ngettext
from organise.refusal import WHOLE_REQUEST, Refused
from organise.runtime import runtime
from organise.web.access import Endpoint

# Malformed, unknown or refused: what guessing and junk produce.
COUNTED = frozenset({400, 403, 404, 415, 422})
TOO_MANY = 429

Probe = Callable[[], Awaitable[bool]]


def endpoint_name(endpoint: Callable[..., object]) -> str:
    return f"{endpoint.__module__}.{endpoint.__qualname__}"


def counts_failures(endpoint: Endpoint) -> Endpoint:
    """Count this endpoint's failures; past its limit, answer them 429.

    A refusal the handler lets through is counted here; a handler that catches refusals to show
    its form again passes them through `failure` itself.
    """
    name = endpoint_name(endpoint)

    @functools.wraps(endpoint)
    async def counted(request: Request) -> Response:
        request.state.failure_endpoint = name
        try:
            return await endpoint(request)
        except Refused as refusal:
            answer = await failure(request, refusal, still_valid=_retest(request))
            if answer is refusal:
                raise
            raise answer from None

    counted.failure_limit = name  # type: ignore[attr-defined]
    return counted


def limited_endpoint(endpoint: object) -> str | None:
    """The name an endpoint's failures are counted under, if they are."""
    return getattr(endpoint, "failure_limit", None)


def retest_with(request: Request, probe: Probe) -> None:
    """How to test this request's secret again (`failure`'s `still_valid`) when a refusal the
    handler lets through meets the limit: set once the body is read, before anything refuses."""
    request.state.failure_probe = probe


def _retest(request: Request) -> Probe | None:
    probe: Probe | None = getattr(request.state, "failure_probe", None)
    return probe


def secret_proven(request: Request) -> None:
    """The request's code or receipt is right: nothing it is refused from now on counts."""
    request.state.failure_counted = True


async def failure(
    request: Request, refusal: Refused, *, still_valid: Probe | None = None
) -> Refused:
    """What to answer `refusal` with: itself, or a 429 once the endpoint's bucket is empty.

    `still_valid` tests the request's secret again (only when the bucket is empty): a refusal
    that may come before the secret was tested is answered as itself if the secret is right.
    A request is counted once at most.
    """
    if refusal.status not in COUNTED or getattr(request.state, "failure_counted", False):
        return refusal
    request.state.failure_counted = True
    name = getattr(request.state, "failure_endpoint", None)
    if name is None:
        raise RuntimeError("failure() needs an endpoint marked @counts_failures")
    bucket = runtime(request).limits.endpoints.bucket(name)
    if bucket is None or bucket.take():
        return refusal
    if still_valid is not None and await still_valid():
        return refusal
    return too_many(refusal, bucket.retry_after())


def too_many(refusal: Refused, seconds: int) -> Refused:
    """A 429 that says when to try again, and still says what was wrong with this request."""
    named = {field: text for field, text in refusal.errors.items() if field}
    return Refused(
        {WHOLE_REQUEST: f"{refusal.message} {wait_text(seconds)}", **named},
        status=TOO_MANY,
        code="too_many_attempts",
        headers={**refusal.headers, "Retry-After": str(seconds)},
    )


def wait_text(seconds: int) -> str:
    """When to try again: in seconds up to two minutes, in whole minutes (rounded up) beyond."""
    if seconds < 120:
        return ngettext(
            "Too many failed attempts have been made here recently. Please wait %(n)d second "
            "before trying again.",
            "Too many failed attempts have been made here recently. Please wait %(n)d seconds "
            "before trying again.",
            seconds,
        ) % {"n": seconds}
    minutes = -(-seconds // 60)
    return ngettext(
        "Too many failed attempts have been made here recently. Please wait %(n)d minute "
        "before trying again.",
        "Too many failed attempts have been made here recently. Please wait %(n)d minutes "
        "before trying again.",
        minutes,
    ) % {"n": minutes}
