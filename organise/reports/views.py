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
from organise.contracts.models import Employer
from organise.contracts.views import render
from organise.i18n import _
from organise.reports import followup, submission, validation
from organise.reports.followup import ReporterAccess
from organise.reports.models import Author
from organise.web.access import public
from organise.web.errors import RequestRefused
from organise.web.forms import read_form

MAX_LINES_FIELD = validation.MAX_SOURCES * (2048 + 2)
NEW_EMPLOYER = "_new"


def _form_values(form: ImmutableMultiDict) -> dict[str, Any]:
    """What the person typed, to fill the form again if something must be corrected."""
    single = (
        "employer_known",
        "employer_new",
        "agency",
        "agency_type",
        "country",
        "jurisdiction",
        "product",
        "status",
        "value_range",
        "currency",
        "period_start",
        "period_end",
        "sources",
        "relation",
        "details",
    )
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in single}
    values["technologies"] = [str(slug) for slug in form.getlist("technologies")]
    return values


async def _raw_report(values: dict[str, Any]) -> dict[str, object]:
    employer = values["employer_new"]
    known = values["employer_known"].strip()
    if known and known != NEW_EMPLOYER:
        found = await Employer.get_or_none(slug=known[:120])
        if found is None:
            raise validation.FieldRefused(
                "employer", _("Pick an employer from the list, or name a new one."), "invalid"
            )
        employer = found.name
    if len(values["sources"]) > MAX_LINES_FIELD:
        raise validation.FieldRefused("sources", _("There are too many links."), "too_many")
    return {
        "employer": employer,
        "agency": values["agency"],
        "agency_type": values["agency_type"],
        "country": values["country"],
        "jurisdiction": values["jurisdiction"],
        "technologies": values["technologies"],
        "product": values["product"],
        "status": values["status"],
        "value_range": values["value_range"],
        "currency": values["currency"],
        "period_start": values["period_start"],
        "period_end": values["period_end"],
        "sources": [line.strip() for line in values["sources"].splitlines() if line.strip()],
        "relation": values["relation"],
        "details": values["details"],
    }


async def _form_page(
    request: Request, values: dict[str, Any], error: str | None = None, status: int = 200
) -> Response:
    return render(
        request,
        "reports/new.html",
        {
            "values": values,
            "error": error,
            "employers": await search.employers_with_contracts(),
            "max_details": validation.MAX_DETAILS_CHARS,
            "max_sources": validation.MAX_SOURCES,
            "new_employer": NEW_EMPLOYER,
        },
        status,
    )


@public
async def new_form(request: Request) -> Response:
    values = _form_values(ImmutableMultiDict())
    return await _form_page(request, values)


@public
async def new_report(request: Request) -> Response:
    form = await read_form(request)
    values = _form_values(form)
    try:
        report = validation.report_input(await _raw_report(values))
    except validation.FieldRefused as problem:
        return await _form_page(request, values, str(problem.detail), problem.status_code)
    state = request.app.state
    receipt = await submission.submit(report, keystore=state.keystore, pepper=state.code_pepper)
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
async def confirm_receipt(request: Request) -> Response:
    """The reporter shows they wrote the receipt down by typing its last two words."""
    form = await read_form(request)
    access = await followup.open_with_receipt(form.get("receipt"), request.app.state.code_pepper)
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
    technologies = await report.technology_links.all().values_list("technology", flat=True)
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
            "max_message": validation.MAX_MESSAGE_CHARS,
        },
        status,
    )


async def _open(request: Request, form: ImmutableMultiDict) -> ReporterAccess | Response:
    try:
        return await followup.open_with_receipt(form.get("receipt"), request.app.state.code_pepper)
    except RequestRefused as refused:
        return render(
            request,
            "reports/follow_up_form.html",
            {"error": str(refused.detail)},
            refused.status_code,
        )


@public
async def follow_up(request: Request) -> Response:
    form = await read_form(request)
    access = await _open(request, form)
    if isinstance(access, Response):
        return access
    return await _follow_up_page(request, access)


@public
async def reply(request: Request) -> Response:
    form = await read_form(request)
    access = await _open(request, form)
    if isinstance(access, Response):
        return access
    try:
        text = validation.message_text(form.get("message"))
    except validation.FieldRefused as problem:
        return await _follow_up_page(
            request, access, notice=str(problem.detail), status=problem.status_code
        )
    await followup.add_message(
        access.report, text, author=Author.REPORTER, keystore=request.app.state.keystore
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
