"""Organiser sign-in, sign-out and account pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from organise.i18n import _
from organise.organisers import accounts, sessions, throttle, tokens, totp
from organise.organisers.errors import AccountError, KdfBusy, LoginThrottled
from organise.web.access import organisers, public, session_cookie_name
from organise.web.forms import field, read_form
from organise.web.templating import templates

MAX_NAME_CHARS = 64
# Longer than any passphrase we accept, so the over-long case gets its own clear message.
MAX_PASSPHRASE_CHARS = 4096


def _set_session_cookie(request: Request, response: Response, token: str) -> None:
    # No Max-Age: a browser session cookie, gone when the browser closes; the server ends the
    # session itself after the idle and absolute timeouts.
    response.set_cookie(
        session_cookie_name(request),
        token,
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )


def _throttle_policy(request: Request) -> accounts.ThrottlePolicy:
    state = request.app.state
    return accounts.ThrottlePolicy(
        secret_key=state.secret_key,
        failures_before_delay=state.settings.login_failures_before_delay,
    )


def _status_for(error: AccountError) -> int:
    if isinstance(error, LoginThrottled):
        return 429
    return 503 if isinstance(error, KdfBusy) else 400


def _page(request: Request, name: str, context: dict, status: int = 200) -> Response:
    return templates().TemplateResponse(request, f"organisers/{name}", context, status_code=status)


@public
async def login_form(request: Request) -> Response:
    return _page(request, "login.html", {"error": None, "username": ""})


@public
async def login(request: Request) -> Response:
    form = await read_form(request)
    username = field(form, "username", max_chars=MAX_NAME_CHARS, label=_("Account name"))
    attempt = accounts.LoginAttempt(
        username=username,
        passphrase=str(form.get("passphrase", "")),
        totp_code=field(form, "totp_code", max_chars=16, label=_("Code")),
    )
    state = request.app.state
    try:
        organiser, private_key = await accounts.authenticate(
            attempt, field_key=state.field_key, policy=_throttle_policy(request)
        )
    except AccountError as error:
        context = {"error": str(error), "username": username}
        return _page(request, "login.html", context, _status_for(error))
    # A fresh id at every sign-in: a session id planted before login is worthless after it.
    previous = request.cookies.get(session_cookie_name(request))
    if previous:
        await sessions.end_session(previous, secret_key=state.secret_key)
    token = await sessions.start_session(organiser, private_key, secret_key=state.secret_key)
    # Sign-ins are rare: a good moment to drop sessions and throttles that timed out unseen.
    await sessions.purge_expired(sessions.SessionPolicy.from_settings(state.settings))
    await throttle.purge_stale()
    response = RedirectResponse(request.url_for("organisers:home"), status_code=303)
    _set_session_cookie(request, response, token)
    return response


@organisers()
async def logout(request: Request) -> Response:
    await sessions.end_session(request.state.session_token, secret_key=request.app.state.secret_key)
    response = RedirectResponse(request.url_for("home"), status_code=303)
    response.delete_cookie(
        session_cookie_name(request),
        path="/",
        secure=request.url.scheme == "https",
        httponly=True,
        samesite="strict",
    )
    return response


async def _account_page(
    request: Request,
    *,
    message: str | None = None,
    error: str | None = None,
    new_token: str | None = None,
    status: int = 200,
) -> Response:
    context = {
        "message": message,
        "error": error,
        "new_token": new_token,
        "tokens": await tokens.tokens_of(request.state.organiser),
    }
    return _page(request, "home.html", context, status)


@organisers()
async def home(request: Request) -> Response:
    return await _account_page(request)


@organisers()
async def change_passphrase(request: Request) -> Response:
    form = await read_form(request)
    organiser = request.state.organiser
    private_key = sessions.organiser_private_key(request)
    try:
        await accounts.change_passphrase(
            organiser,
            str(form.get("current_passphrase", "")),
            str(form.get("new_passphrase", "")),
            _throttle_policy(request),
        )
    except AccountError as error:
        return await _account_page(request, error=str(error), status=_status_for(error))
    # Every session ended with the change, this one included; this browser gets a new one.
    token = await sessions.start_session(
        organiser, private_key, secret_key=request.app.state.secret_key
    )
    response = await _account_page(
        request,
        message=_(
            "Passphrase changed. Every other session has been signed out "
            "and every API token revoked."
        ),
    )
    _set_session_cookie(request, response, token)
    return response


@organisers()
async def totp_setup(request: Request) -> Response:
    secret = totp.new_secret()
    return _totp_page(request, secret, error=None)


def _totp_page(request: Request, secret: str, *, error: str | None, status: int = 200) -> Response:
    uri = totp.provisioning_uri(secret, request.state.organiser.username)
    return _page(
        request,
        "totp.html",
        {"secret": secret, "qr_svg": totp.qr_svg(uri), "error": error},
        status,
    )


@organisers()
async def totp_enable(request: Request) -> Response:
    form = await read_form(request)
    organiser = request.state.organiser
    if organiser.has_totp:
        return await _account_page(
            request, error=_("Two-step sign-in is already on; turn it off first."), status=409
        )
    secret = field(form, "secret", max_chars=64, label=_("Secret"))
    code = field(form, "code", max_chars=16, label=_("Code"))
    if not totp.is_well_formed_secret(secret):
        return _totp_page(
            request, totp.new_secret(), error=_("The setup expired; start again."), status=400
        )
    try:
        # A second factor is a credential: setting one needs the first.
        passphrase_ok = await accounts.passphrase_matches(
            organiser, str(form.get("passphrase", "")), _throttle_policy(request)
        )
    except AccountError as error:
        return _totp_page(request, secret, error=str(error), status=_status_for(error))
    if not passphrase_ok:
        return _totp_page(request, secret, error=_("The passphrase is not right."), status=400)
    step = totp.enrolment_step(secret, code)
    if step is None:
        return _totp_page(
            request,
            secret,
            error=_("That code does not match. Check the app and try again."),
            status=400,
        )
    await totp.enable(organiser, secret, step, field_key=request.app.state.field_key)
    message = _("Two-step sign-in is on. You will need a code from your app at every sign-in.")
    return await _account_page(request, message=message)


@organisers()
async def totp_disable(request: Request) -> Response:
    form = await read_form(request)
    organiser = request.state.organiser
    passphrase = str(form.get("passphrase", ""))
    try:
        matches = await accounts.passphrase_matches(
            organiser, passphrase, _throttle_policy(request)
        )
    except AccountError as error:
        return await _account_page(request, error=str(error), status=_status_for(error))
    if not matches:
        return await _account_page(request, error=_("The passphrase is not right."), status=400)
    await totp.disable(organiser)
    return await _account_page(request, message=_("Two-step sign-in is off."))


@organisers()
async def create_token(request: Request) -> Response:
    form = await read_form(request)
    name = field(form, "name", max_chars=tokens.MAX_NAME_CHARS, label=_("Token name"))
    try:
        _row, token = await tokens.create_token(
            request.state.organiser, name, secret_key=request.app.state.secret_key
        )
    except AccountError as error:
        return await _account_page(request, error=str(error), status=400)
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
    Route("/login", login_form, methods=["GET"], name="login_form"),
    Route("/login", login, methods=["POST"], name="login"),
    Route("/logout", logout, methods=["POST"], name="logout"),
    Route("/", home, methods=["GET"], name="home"),
    Route("/passphrase", change_passphrase, methods=["POST"], name="change_passphrase"),
    Route("/totp", totp_setup, methods=["GET"], name="totp_setup"),
    Route("/totp", totp_enable, methods=["POST"], name="totp_enable"),
    Route("/totp/disable", totp_disable, methods=["POST"], name="totp_disable"),
    Route("/tokens", create_token, methods=["POST"], name="create_token"),
    Route("/tokens/{token_id}/revoke", revoke_token, methods=["POST"], name="revoke_token"),
]
