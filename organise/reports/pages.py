"""Worker pages: report a contract, keep the receipt, follow up with it.

No account, no cookie, no JavaScript. The receipt travels only in POST bodies (a hidden field
on the follow-up page), never in a URL, so it stays out of histories and logs.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import ImmutableMultiDict
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.contracts import search
from organise.contracts.display import render
from organise.contracts.fields import MAX_SOURCES
from organise.contracts.models import Employer
from organise.db import column_values
from organise.fields import FormData
from organise.i18n import _
from organise.refusal import Refused
from organise.reports import followup, submission
from organise.reports.fields import (
    MAX_CHARS,
    REPORT,
    read_message,
    read_report,
)
from organise.reports.followup import ReporterAccess
from organise.reports.models import Author
from organise.runtime import runtime
from organise.web import limits
from organise.web.access import public
from organise.web.forms import read_form

# The employer picker: a known employer's slug, or this value and a name typed beside it.
NEW_EMPLOYER = "_new"
PICKER = ("employer_known", "employer_new")


def _form_values(form: FormData) -> dict[str, Any]:
    """What the person typed, to fill the form again if something must be corrected."""
    return {**REPORT.typed_back(form), **{name: str(form.get(name, "")) for name in PICKER}}


async def _with_employer(form: ImmutableMultiDict) -> ImmutableMultiDict:
    """The form with `employer` set from the picker: the known employer's name, or the new one."""
    employer = str(form.get("employer_new", ""))
    known = str(form.get("employer_known", "")).strip()
    if known and known != NEW_EMPLOYER:
        found = await Employer.get_or_none(slug=known[: search.MAX_SLUG_CHARS])
        if found is None:
            raise Refused({"employer": _("Pick an employer from the list, or name a new one.")})
        employer = found.name
    pairs = [(key, value) for key, value in form.multi_items() if key != "employer"]
    return ImmutableMultiDict([*pairs, ("employer", employer)])


async def _form_page(
    request: Request, values: dict[str, Any], refusal: Refused | None = None
) -> Response:
    return render(
        request,
        "reports/new.html",
        {
            "values": values,
            "error": refusal.message if refusal else None,
            "employers": await search.employers_with_contracts(),
            "max_chars": MAX_CHARS,
            "max_sources": MAX_SOURCES,
            "new_employer": NEW_EMPLOYER,
        },
        refusal.status if refusal else 200,
        refusal.headers if refusal else None,
    )


@public
async def new_form(request: Request) -> Response:
    return await _form_page(request, _form_values(ImmutableMultiDict()))


@public
@limits.counts_failures
async def new_report(request: Request) -> Response:
    form = await read_form(request)
    try:
        report = read_report(await _with_employer(form))
    except Refused as refusal:
        # Past the limit the form still comes back filled in, with what to correct.
        answer = await limits.failure(request, refusal)
        return await _form_page(request, _form_values(form), answer)
    found = runtime(request)
    receipt = await submission.submit(report, keystore=found.keystore, pepper=found.code_pepper)
    return _receipt_page(request, receipt, status=201)


def _receipt_page(
    request: Request, receipt: str, *, error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "reports/receipt.html",
        {"receipt": receipt, "words": receipt.split("-"), "error": error},
        status,
    )


def _last_two_words(text: str) -> list[str]:
    words = [word for word in text.lower().replace("-", " ").split() if word]
    return words[-2:]


@public
@limits.counts_failures
async def confirm_receipt(request: Request) -> Response:
    """The reporter shows they wrote the receipt down by typing its last two words."""
    form = await read_form(request)
    access = await followup.open_with_receipt(form.get("receipt"), runtime(request).code_pepper)
    limits.secret_proven(request)
    typed = str(form.get("check", ""))[:400]
    expected = access.receipt.split("-")[-2:]
    if _last_two_words(typed) != expected:
        return _receipt_page(
            request,
            access.receipt,
            error=_(
                "Those are not the last two words of your receipt. Copy the receipt again "
                "carefully, then type its last two words."
            ),
            status=400,
        )
    return render(request, "reports/receipt_kept.html", {})


@public
async def follow_up_form(request: Request) -> Response:
    return render(request, "reports/follow_up_form.html", {"error": None})


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
            {"error": answer.message},
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
        text = read_message(form)
    except Refused as refusal:
        return await _follow_up_page(request, access, notice=refusal.message, status=refusal.status)
    await followup.add_message(
        access.report, text, author=Author.REPORTER, keystore=runtime(request).keystore
    )
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
