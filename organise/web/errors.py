"""Readable error pages (HTML, or JSON under /api/) with no traceback, ever."""

from __future__ import annotations

import errno
import logging
from http import HTTPStatus

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from organise.i18n import _, _l
from organise.refusal import Refused
from organise.web.languages import PAGE_PATH
from organise.web.templating import render

log = logging.getLogger("organise.errors")


def _default_message(status: int) -> str:
    messages = {
        400: _("The request could not be understood."),
        401: _("Please sign in first."),
        403: _("This request was refused."),
        404: _("There is no page at this address."),
        405: _("This address does not accept that kind of request."),
        413: _("What you sent is too large."),
        415: _("What you sent is in a form this address does not accept."),
        429: _("Too many attempts. Please wait a little and try again."),
        500: _("Something went wrong on our side. Please try again later."),
        503: _("The service is briefly unavailable. Nothing was saved. Please try again later."),
    }
    return messages.get(status, HTTPStatus(status).phrase)


# The heading of an error page, in the page's language (HTTP's reason phrases are English).
_TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in needed"),
    403: _l("Refused"),
    404: _l("Page not found"),
    405: _l("Not allowed here"),
    409: _l("Conflict"),
    413: _l("Too large"),
    415: _l("Unsupported format"),
    422: _l("Not accepted"),
    429: _l("Too many attempts"),
    500: _l("Server error"),
    503: _l("Unavailable"),
}


def _title(status: int) -> str:
    title = _TITLES.get(status)
    return str(title) if title is not None else _("Error %(status)d") % {"status": status}


# Machine-readable codes for JSON errors; a route may give a more specific one.
_DEFAULT_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid",
    429: "too_many_attempts",
    500: "server_error",
    503: "unavailable",
}


def _is_stock_phrase(detail: str, status: int) -> bool:
    # Starlette's own exceptions carry the bare reason phrase; ours carry a sentence.
    return detail in {HTTPStatus(status).phrase, "Content Too Large", ""}


def error_response(
    request: Request,
    status: int,
    message: str | None = None,
    code: str | None = None,
    fields: dict[str, str] | None = None,
) -> Response:
    message = message or _default_message(status)
    if request.url.path.startswith("/api/"):
        code = code or _DEFAULT_CODES.get(status, "error")
        error: dict[str, object] = {"code": code, "message": message}
        if fields:
            error["fields"] = fields
        return JSONResponse({"error": error}, status_code=status)
    # An organiser's refused form leads back to the organisers' pages, not the workers' home.
    path = str(request.scope.get(PAGE_PATH, request.url.path))
    return render(
        request,
        "errors/error.html",
        {
            "status": status,
            "title": _title(status),
            "message": message,
            "for_organisers": path.startswith("/organisers/"),
        },
        status,
    )


async def http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    detail = str(exc.detail or "")
    message = None if _is_stock_phrase(detail, exc.status_code) else detail
    response = error_response(request, exc.status_code, message, getattr(exc, "code", None))
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def refused(request: Request, exc: Exception) -> Response:
    """Domain code said no: the reason as a page, or as JSON under /api/."""
    assert isinstance(exc, Refused)
    named = {name: text for name, text in exc.field_messages().items() if name}
    response = error_response(request, exc.status, exc.message, exc.code, named or None)
    response.headers.update(exc.headers)
    return response


# A full disk, or a database that is restarting or unreachable: answered 503, not 500.
# A full disk fails the whole transaction, so nothing was saved. A connection lost during COMMIT
# is ambiguous (the database may have committed before the answer was lost), so that message
# does not promise that nothing was saved.
_STORAGE_FULL = ("disk is full", "no space left")
_UNREACHABLE_NAMES = frozenset(
    {
        "DBConnectionError",  # tortoise
        "PostgresConnectionError",  # asyncpg, and its subclasses below
        "ConnectionDoesNotExistError",
        "ConnectionFailureError",
        "CannotConnectNowError",
        "AdminShutdownError",
        "CrashShutdownError",
        "InternalClientError",  # asyncpg, when a connection dies mid-protocol (restart drill)
        "KekMissing",  # a host without the shared keystore's current key (organise/keystore)
    }
)
STORAGE_FULL = "storage_full"
UNREACHABLE = "unreachable"


def why_unavailable(exc: BaseException) -> str | None:
    """STORAGE_FULL or UNREACHABLE if `exc` (or what it wraps) says so, else None."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen and len(seen) < 8:
        seen.add(id(current))
        name, text = type(current).__name__, str(current).lower()
        if isinstance(current, OSError) and current.errno in (errno.ENOSPC, errno.EDQUOT):
            return STORAGE_FULL
        if name == "OperationalError" and any(phrase in text for phrase in _STORAGE_FULL):
            return STORAGE_FULL
        if isinstance(current, ConnectionError | TimeoutError):
            return UNREACHABLE
        if any(name in _UNREACHABLE_NAMES for name in _class_names(current)):
            return UNREACHABLE
        if name == "InterfaceError" and "connection is closed" in text:  # asyncpg
            return UNREACHABLE
        current = current.__cause__ or current.__context__
    return None


def is_unavailable(exc: BaseException) -> bool:
    return why_unavailable(exc) is not None


def _class_names(exc: BaseException) -> list[str]:
    return [cls.__name__ for cls in type(exc).__mro__]


async def server_error(request: Request, exc: Exception) -> Response:
    # Only the exception's type and where it arose: its message may carry what someone typed.
    frame = exc.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
    reason = why_unavailable(exc)
    if reason is not None:
        log.warning("unavailable (%s at %s): answered 503", type(exc).__name__, where)
        message = (
            None
            if reason == STORAGE_FULL
            else _(
                "The service is briefly unavailable, and what you sent may not have been saved. "
                "Please try again in a minute."
            )
        )
        response = error_response(request, 503, message)
        response.headers["Retry-After"] = "30"
        return response
    log.error("unhandled %s at %s", type(exc).__name__, where)
    return error_response(request, 500)


EXCEPTION_HANDLERS = {Refused: refused, HTTPException: http_exception, Exception: server_error}
