"""Worker pages: report a contract, keep the receipt, follow up with it.

No account, no cookie, no JavaScript. The receipt travels only in POST bodies (a hidden field
on the follow-up page), never in a URL, so it stays out of histories and logs. Each form's
address carries a one-time submission token instead (organise/submissions): the same report or
message sent again shows the same receipt, or is not added twice.
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.contracts import employers, taxonomy
from organise.contracts.display import render
from organise.contracts.fields import MAX_SOURCES
from organise.db import column_values
from organise.i18n import _
from organise.refusal import WHOLE_REQUEST, Refused
from organise.reports import followup, submission
from organise.reports.fields import (
    MAX_CHARS,
    REPORT,
    REPORT_REQUIRED,
    read_message,
    read_report,
)
from organise.reports.followup import ReporterAccess
from organise.reports.models import Author
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.confirmation import last_two_words_match, wrong_last_words
from organise.web import limits
from organise.web.access import public
from organise.web.forms import read_form


async def _form_page(
    request: Request, values: dict[str, Any], refusal: Refused | None = None
) -> Response:
    """The report form: empty, or again with what was typed and every problem beside its field
    (nothing was stored)."""
    errors = refusal.field_messages() if refusal else {}
    return render(
        request,
        "reports/new.html",
        {
            "values": values,
            "error": errors.pop(WHOLE_REQUEST, None),
            "errors": errors,
            "employers": await employers.suggestions(),
            "labels": {field.name: str(field.label) for field in REPORT.fields},
            "required": REPORT_REQUIRED,
            "status_terms": taxonomy.taxonomy().terms["statuses"],
            "max_chars": MAX_CHARS,
            "max_sources": MAX_SOURCES,
            "action": tokens.form_action(request),
        },
        refusal.status if refusal else 200,
        refusal.headers if refusal else None,
    )


@public
async def new_form(request: Request) -> Response:
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    return await _form_page(request, REPORT.typed_back(ImmutableMultiDict()))


async def _report(request: Request, form: ImmutableMultiDict) -> str:
    """Submit once per submission token: the same report sent again shows the same receipt."""
    token = tokens.form_token(request)
    report = read_report(form)
    found = runtime(request)
    work = functools.partial(
        submission.submit, report, keystore=found.keystore, pepper=found.code_pepper
    )
    content = submission.report_content(report)
    return await tokens.once_per_token(
        request, token, content, work, submission.RECEIPT, other_content="replace"
    )


@public
@limits.counts_failures
async def new_report(request: Request) -> Response:
    form = await read_form(request)
    try:
        receipt = await _report(request, form)
    except Refused as refusal:
        # Past the limit the form still comes back filled in, with what to correct.
        answer = await limits.failure(request, refusal)
        return await _form_page(request, REPORT.typed_back(form), answer)
    return _receipt_page(request, receipt, status=201)


def _receipt_page(
    request: Request, receipt: str, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "reports/receipt.html",
        {
            "receipt": receipt,
            "words": receipt.split("-"),
            "error": error,
            # The confirmation carries the form's token: its record is deleted once confirmed.
            "confirm_action": tokens.carry(
                request, request.url_for("reports:confirm_receipt").path
            ),
        },
        status,
    )


@public
@limits.counts_failures
async def confirm_receipt(request: Request) -> Response:
    """The reporter shows they wrote the receipt down by typing its last two words; the record
    that could show it again is then deleted, and a reload shows a neutral page."""
    form = await read_form(request)
    access = await followup.open_with_receipt(form.get("receipt"), runtime(request).code_pepper)
    limits.secret_proven(request)
    typed = str(form.get("check", ""))[:400]
    if not last_two_words_match(typed, access.receipt):
        return _receipt_page(request, access.receipt, error=wrong_last_words(), status=400)
    await tokens.forget_form_token(request)
    return render(request, "reports/receipt_kept.html", {})


@public
async def follow_up_form(request: Request) -> Response:
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    return render(
        request,
        "reports/follow_up_form.html",
        {"error": None, "action": tokens.form_action(request)},
    )


async def _follow_up_page(
    request: Request, access: ReporterAccess, *, notice: str | None = None, status: int = 200
) -> Response:
    report = access.report
    state = followup.shown_state(report)
    messages = await followup.read_messages(report, access.key)
    technologies = await column_values(report.technology_links.all(), "technology")
    return render(
        request,
        "reports/follow_up.html",
        {
            "report": report,
            "technologies": technologies,
            "state": state,
            "state_text": followup.state_text(state),
            "messages": messages,
            "receipt": access.receipt,
            "notice": notice,
            "max_chars": MAX_CHARS,
            # A reply carries the token of the form that opened the report.
            "reply_action": tokens.carry(request, request.url_for("reports:reply").path),
        },
        status,
    )


async def _open(request: Request, form: ImmutableMultiDict) -> ReporterAccess | Response:
    try:
        access = await followup.open_with_receipt(form.get("receipt"), runtime(request).code_pepper)
    except Refused as refusal:
        answer = await limits.failure(request, refusal)
        return render(
            request,
            "reports/follow_up_form.html",
            {"error": answer.message, "action": tokens.form_action(request)},
            answer.status,
            answer.headers,
        )
    limits.secret_proven(request)
    return access


@public
@limits.counts_failures
async def follow_up(request: Request) -> Response:
    form = await read_form(request)
    access = await _open(request, form)
    if isinstance(access, Response):
        return access
    return await _follow_up_page(request, access)


@public
@limits.counts_failures
async def reply(request: Request) -> Response:
    form = await read_form(request)
    access = await _open(request, form)
    if isinstance(access, Response):
        return access
    try:
        token = tokens.form_token(request)
        text = read_message(form)
        keystore = runtime(request).keystore
        work = functools.partial(
            followup.add_message, access.report, text, author=Author.REPORTER, keystore=keystore
        )
        content = followup.message_content(access, text)
        await tokens.once_per_token(
            request, token, content, work, followup.SENT, other_content="replace"
        )
    except Refused as refusal:
        return await _follow_up_page(request, access, notice=refusal.message, status=refusal.status)
    return await _follow_up_page(
        request, access, notice=_("Your message was sent to the reviewers.")
    )


routes = [
    Route("/new", new_form, methods=["GET"], name="new"),
    Route("/new", new_report, methods=["POST"], name="submit"),
    Route("/receipt", confirm_receipt, methods=["POST"], name="confirm_receipt"),
    Route("/follow-up", follow_up_form, methods=["GET"], name="follow_up_form"),
    Route("/follow-up", follow_up, methods=["POST"], name="follow_up"),
    Route("/follow-up/reply", reply, methods=["POST"], name="reply"),
]
