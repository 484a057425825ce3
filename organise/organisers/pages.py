"""Organiser sign-in: the only organiser pages open to someone not signed in."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from organise.organisers import accounts, enrolment, rekeying, sessions
from organise.organisers.fields import ENROLMENT, SIGN_IN
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web import limits
from organise.web.access import public, session_cookie_name, set_session_cookie
from organise.web.addresses import absolute_url
from organise.web.forms import read_form
from organise.web.templating import render


def _form_page(
    request: Request, name: str, *, username: str, refusal: Refused | None = None
) -> Response:
    """The sign-in or enrolment form (`name`), shown again with what was refused, if anything,
    and the account name typed."""
    context = {"error": refusal.message if refusal else None, "username": username}
    if refusal is None:
        return render(request, name, context)
    return render(request, name, context, refusal.status, refusal.headers)


@public
async def login_form(request: Request) -> Response:
    return _form_page(request, "organisers/login.html", username="")


@public
async def login(request: Request) -> Response:
    form = await read_form(request)
    context = runtime(request)
    try:
        attempt = accounts.LoginAttempt(**SIGN_IN.read_form(form))
        organiser, private_key = await accounts.authenticate(
            attempt,
            field_key=context.totp_field_key,
            policy=accounts.ThrottlePolicy.of(context),
        )
    except Refused as refusal:
        typed = SIGN_IN.typed_back(form)["username"].strip()
        return _form_page(request, "organisers/login.html", username=typed, refusal=refusal)
    # An account whose key pair was made under someone else's passphrase gets a new one now.
    private_key = await rekeying.rekey_if_needed(
        organiser, private_key, attempt.passphrase, keystore=context.keystore
    )
    # A fresh id at every sign-in: a session id planted before login is worthless after it.
    previous = request.cookies.get(session_cookie_name(request))
    if previous:
        await sessions.end_session(previous, secret_key=context.secret_key)
    token = await sessions.start_session(organiser, private_key, secret_key=context.secret_key)
    # Sign-ins are rare: a good moment to drop sessions that timed out unseen.
    await sessions.purge_expired(sessions.SessionPolicy.from_settings(context.settings))
    response = RedirectResponse(absolute_url(request, "organisers:home"), status_code=303)
    set_session_cookie(request, response, token)
    return response


@public
async def enrol_form(request: Request) -> Response:
    return _form_page(request, "organisers/enrol.html", username="")


@public
@limits.counts_failures
async def enrol(request: Request) -> Response:
    """Redeem an enrolment code: the holder chooses the passphrase, the key pair is made."""
    form = await read_form(request)
    context = runtime(request)
    try:
        values = ENROLMENT.read_form(form)
        organiser = await enrolment.redeem(
            enrolment.Enrolment(**values),
            pepper=context.code_pepper,
            now=context.clock(),
            second_factor=enrolment.SecondFactorKeys(context.totp_field_key, context.secret_key),
        )
    except Refused as refusal:
        # A right code with a passphrase to correct is told what to correct, never "wait".
        answer = await limits.failure(
            request,
            refusal,
            still_valid=lambda: enrolment.code_is_current(
                form.get("code"), pepper=context.code_pepper, now=context.clock()
            ),
        )
        typed = ENROLMENT.typed_back(form)["username"].strip()
        return _form_page(request, "organisers/enrol.html", username=typed, refusal=answer)
    words = enrolment.fingerprint(organiser)
    return render(
        request, "organisers/enrolled.html", {"username": organiser.username, "words": words}
    )


routes = [
    Route("/enrol", enrol_form, methods=["GET"], name="enrol_form"),
    Route("/enrol", enrol, methods=["POST"], name="enrol"),
    Route("/login", login_form, methods=["GET"], name="login_form"),
    Route("/login", login, methods=["POST"], name="login"),
]
