"""A signed-in account's own page: what waits for it, sign-out, passphrase, two-step sign-in, API
tokens."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from organise import attention
from organise.i18n import _
from organise.organisers import accounts, enrolment, recovery, sessions, tokens, totp
from organise.organisers.fields import (
    API_TOKEN,
    PASSPHRASE_CHANGE,
    PASSPHRASE_CONFIRMATION,
    RECOVERY_CODES,
    TOTP_ENROLMENT,
)
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import EVERY_ROLE, clear_session_cookie, organisers, set_session_cookie
from organise.web.addresses import absolute_url
from organise.web.forms import read_form
from organise.web.templating import render


@organisers(*EVERY_ROLE)
async def logout(request: Request) -> Response:
    await sessions.end_session(request.state.session_token, secret_key=runtime(request).secret_key)
    response = RedirectResponse(absolute_url(request, "home"), status_code=303)
    clear_session_cookie(request, response)
    return response


async def _account_page(
    request: Request,
    *,
    message: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    recovery_codes: list[str] | None = None,
    status: int = 200,
    refusal: Refused | None = None,
) -> Response:
    """The account page; with `refusal`, its reason, status and headers (e.g. Retry-After)."""
    organiser = request.state.organiser
    context = runtime(request)
    asking = attention.Asking(
        account=organiser,
        private_key=sessions.organiser_private_key(request),
        keystore=context.keystore,
        now=context.clock(),
    )
    page = {
        "message": message,
        "error": refusal.message if refusal else error,
        "new_token": new_token,
        "tokens": await tokens.tokens_of(organiser),
        "fingerprint": enrolment.fingerprint(organiser),
        "recovery_codes": recovery_codes,
        "recovery_left": await recovery.remaining(organiser),
        # What waits for this account, from every feature's sources (organise/attention.py).
        "attention": await attention.gather(attention.installed(request), asking),
    }
    if refusal is not None:
        return render(request, "organisers/home.html", page, refusal.status, refusal.headers)
    return render(request, "organisers/home.html", page, status)


@organisers(*EVERY_ROLE)
async def home(request: Request) -> Response:
    return await _account_page(request)


@organisers(*EVERY_ROLE)
async def change_passphrase(request: Request) -> Response:
    form = await read_form(request)
    organiser = request.state.organiser
    private_key = sessions.organiser_private_key(request)
    context = runtime(request)
    try:
        values = PASSPHRASE_CHANGE.read_form(form)
        await accounts.change_passphrase(
            organiser,
            values["current_passphrase"],
            values["new_passphrase"],
            accounts.ThrottlePolicy.of(context),
        )
    except Refused as refusal:
        return await _account_page(request, refusal=refusal)
    # Every session ended with the change, this one included; this browser gets a new one.
    token = await sessions.start_session(organiser, private_key, secret_key=context.secret_key)
    response = await _account_page(
        request,
        message=_(
            "Passphrase changed. Every other session has been signed out "
            "and every API token revoked."
        ),
    )
    set_session_cookie(request, response, token)
    return response


def _totp_page(request: Request, secret: str, *, refusal: Refused | None = None) -> Response:
    uri = totp.provisioning_uri(secret, request.state.organiser.username)
    context = {
        "secret": secret,
        "qr_svg": totp.qr_svg(uri),
        "error": refusal.message if refusal else None,
    }
    if refusal is None:
        return render(request, "organisers/totp.html", context)
    return render(request, "organisers/totp.html", context, refusal.status, refusal.headers)


@organisers(*EVERY_ROLE)
async def totp_setup(request: Request) -> Response:
    return _totp_page(request, totp.new_secret())


@organisers(*EVERY_ROLE)
async def totp_enable(request: Request) -> Response:
    form = await read_form(request)
    organiser = request.state.organiser
    if organiser.has_totp:
        return await _account_page(
            request, error=_("Two-step sign-in is already on; turn it off first."), status=409
        )
    context = runtime(request)
    try:
        values = TOTP_ENROLMENT.read_form(form)
        await accounts.enable_totp(
            organiser,
            secret=values["secret"],
            code=values["code"],
            passphrase=values["passphrase"],
            policy=accounts.ThrottlePolicy.of(context),
            field_key=context.totp_field_key,
        )
    except Refused as refusal:
        typed = TOTP_ENROLMENT.typed_back(form)["secret"].strip()
        # Only a secret of the form this server makes is shown again; otherwise start afresh.
        secret = typed if totp.is_well_formed_secret(typed) else totp.new_secret()
        return _totp_page(request, secret, refusal=refusal)
    codes = await recovery.new_codes(organiser, secret_key=context.secret_key)
    message = _("Two-step sign-in is on. You will need a code from your app at every sign-in.")
    return await _account_page(request, message=message, recovery_codes=codes)


@organisers(*EVERY_ROLE)
async def recovery_codes(request: Request) -> Response:
    """Ten new recovery codes (the old ones stop working), once the passphrase is checked."""
    form = await read_form(request)
    organiser = request.state.organiser
    context = runtime(request)
    try:
        values = RECOVERY_CODES.read_form(form)
        await accounts.confirm_passphrase(
            organiser, values["passphrase"], accounts.ThrottlePolicy.of(context)
        )
    except Refused as refusal:
        return await _account_page(request, refusal=refusal)
    if not organiser.has_totp:
        return await _account_page(
            request, error=_("Two-step sign-in is off: there is nothing to recover."), status=409
        )
    codes = await recovery.new_codes(organiser, secret_key=context.secret_key)
    return await _account_page(request, recovery_codes=codes)


@organisers(*EVERY_ROLE)
async def totp_disable(request: Request) -> Response:
    form = await read_form(request)
    try:
        values = PASSPHRASE_CONFIRMATION.read_form(form)
        await accounts.disable_totp(
            request.state.organiser,
            values["passphrase"],
            accounts.ThrottlePolicy.of(runtime(request)),
        )
    except Refused as refusal:
        return await _account_page(request, refusal=refusal)
    return await _account_page(request, message=_("Two-step sign-in is off."))


@organisers()
async def create_token(request: Request) -> Response:
    form = await read_form(request)
    try:
        values = API_TOKEN.read_form(form)
        _row, token = await tokens.create_token(
            request.state.organiser, values["name"], secret_key=runtime(request).secret_key
        )
    except Refused as refusal:
        return await _account_page(request, error=refusal.message, status=refusal.status)
    return await _account_page(request, new_token=token)


@organisers()
async def revoke_token(request: Request) -> Response:
    revoked = await tokens.revoke_token(
        request.path_params["token_id"], organiser=request.state.organiser
    )
    if not revoked:
        return await _account_page(request, error=_("There is no such token."), status=404)
    return await _account_page(request, message=_("The token is revoked."))


routes = [
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/", home, methods=["GET"], name="home"),
    Route("/passphrase", change_passphrase, methods=["POST"], name="change_passphrase"),
    Route("/totp", totp_setup, methods=["GET"], name="totp_setup"),
    Route("/totp", totp_enable, methods=["POST"], name="totp_enable"),
    Route("/totp/disable", totp_disable, methods=["POST"], name="totp_disable"),
    Route("/recovery-codes", recovery_codes, methods=["POST"], name="recovery_codes"),
    Route("/tokens", create_token, methods=["POST"], name="create_token"),
    Route("/tokens/{token_id}/revoke", revoke_token, methods=["POST"], name="revoke_token"),
]
