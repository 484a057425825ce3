"""Reviewer pages under /organisers/reports: queue, one report, replies, merging, publishing."""

from __future__ import annotations

import uuid
from typing import Any

import nacl.public
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from organise.contracts import search, taxonomy
from organise.contracts.display import render
from organise.contracts.fields import FACT_NAMES, MAX_SOURCES, column
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.reports import followup, inbox, publication, review
from organise.reports.fields import DECISION, DRAFT, MAX_CHARS, MERGE, read_message
from organise.reports.models import (
    Author,
    ProposalState,
    PublicationProposal,
    Report,
    ReportInbox,
    ReviewState,
)
from organise.roles import Role
from organise.runtime import runtime
from organise.web.access import organisers
from organise.web.addresses import absolute_url
from organise.web.forms import read_form

REVIEWERS = (Role.REVIEWER, Role.ADMIN)
# Not copied from the report into the draft: a project's name can be known only inside the
# team, so a reviewer types it in only if it is public.
NOT_PREFILLED = frozenset({"product"})


async def _inbox_key(request: Request) -> tuple[ReportInbox, nacl.public.PrivateKey | None]:
    box = await inbox.ensure_inbox(runtime(request).keystore)
    key = await inbox.inbox_private_key(
        box, request.state.organiser, organiser_private_key(request)
    )
    return box, key


async def _report(request: Request) -> Report:
    """The report whose address this is, or Refused (404)."""
    return await review.get_report(request.path_params["report_id"])


def _back_to(request: Request, report_id: uuid.UUID) -> Response:
    return RedirectResponse(
        absolute_url(request, "review:report", report_id=report_id), status_code=303
    )


@organisers(*REVIEWERS)
async def queue(request: Request) -> Response:
    raw_state = request.query_params.get("state", ReviewState.NEW.value)
    state = review.queue_filter(raw_state)
    _box, key = await _inbox_key(request)
    return render(
        request,
        "reports/review/queue.html",
        {
            "reports": await review.queue(state),
            "state": raw_state,
            "states": [s.value for s in ReviewState],
            "has_access": key is not None,
            "state_name": followup.state_name,
        },
    )


def _draft_values(report: Report, technologies: list[str]) -> dict[str, Any]:
    """The publication form, filled in from the report as the reviewer's starting point."""
    given = {
        "technologies": technologies,
        "sources": "\n".join(report.sources),
        "summary": "",
        # A record never says "known internally": the reviewer chooses what it may say.
        "status": "" if report.status == taxonomy.KNOWN_INTERNALLY else report.status,
    }
    return {
        **{
            name: "" if name in NOT_PREFILLED else getattr(report, column(name))
            for name in FACT_NAMES
            if name not in given
        },
        **given,
    }


def _approvals_needed(request: Request) -> int:
    return runtime(request).settings.publish_approvals


async def _report_page(
    request: Request,
    report: Report,
    *,
    draft: dict[str, Any] | None = None,
    error: str | None = None,
    status: int = 200,
) -> Response:
    _box, key = await _inbox_key(request)
    technologies = [link.technology for link in report.technology_links]
    details = review.open_details(report, key) if key else None
    messages = await followup.read_messages(report, key) if key else None
    candidates = [
        other
        for other in await review.queue(None)
        if other.id != report.id
        and other.contract_id is None
        and other.employer_name.casefold() == report.employer_name.casefold()
    ]
    proposals = await PublicationProposal.filter(report_id=report.id).order_by("-week", "id")
    approvals = {p.id: len(await publication.counted_approvers(p.id)) for p in proposals}
    needed = _approvals_needed(request)
    approvers = await publication.possible_approvers()
    return render(
        request,
        "reports/review/report.html",
        {
            "report": report,
            "technologies": technologies,
            "details": details,
            "messages": messages,
            "merged": await review.merged_reports(report),
            "candidates": candidates,
            "proposals": proposals,
            "approvals": approvals,
            "approvals_needed": needed,
            "approvers": approvers,
            "draft": draft or _draft_values(report, technologies),
            "error": error,
            "errors": {},
            "labels": {field.name: str(field.label) for field in DRAFT.fields},
            "required": frozenset(field.name for field in DRAFT.fields if field.required),
            "status_terms": taxonomy.published_statuses(),
            "settable_states": [s.value for s in review.SETTABLE_STATES],
            "employers": await search.employers_with_contracts(),
            "max_sources": MAX_SOURCES,
            "max_chars": MAX_CHARS,
            "state_text": followup.state_text,
            "state_name": followup.state_name,
        },
        status,
    )


@organisers(*REVIEWERS)
async def report_page(request: Request) -> Response:
    return await _report_page(request, await _report(request))


@organisers(*REVIEWERS)
async def set_state(request: Request) -> Response:
    form = await read_form(request)
    report = await _report(request)
    # The API's rule (`DECISION`): the states a reviewer sets by hand.
    await review.set_state(report, ReviewState(DECISION.read_form(form)["state"]))
    return _back_to(request, report.id)


@organisers(*REVIEWERS)
async def reply(request: Request) -> Response:
    form = await read_form(request)
    report = await _report(request)
    _box, key = await _inbox_key(request)
    if key is None:
        raise Refused(
            _("You need access to the report inbox to write to reporters."),
            status=403,
            code="forbidden",
        )
    text = read_message(form)
    await followup.add_message(
        report,
        text,
        author=Author.REVIEWER,
        keystore=runtime(request).keystore,
        organiser=request.state.organiser,
    )
    return _back_to(request, report.id)


@organisers(*REVIEWERS)
async def merge(request: Request) -> Response:
    form = await read_form(request)
    report = await _report(request)
    target = await review.get_report(MERGE.read_form(form)["into"])  # the API's rule
    await review.merge(report, target)
    return _back_to(request, target.id)


@organisers(*REVIEWERS)
async def propose(request: Request) -> Response:
    form = await read_form(request)
    report = await _report(request)
    try:
        draft = publication.draft(form)
    except Refused as refusal:
        return await _report_page(
            request,
            report,
            draft=DRAFT.typed_back(form),
            error=refusal.message,
            status=refusal.status,
        )
    await publication.propose(
        report, request.state.organiser, draft, needed=_approvals_needed(request)
    )
    return _back_to(request, report.id)


@organisers(*REVIEWERS)
async def proposals(request: Request) -> Response:
    me: Organiser = request.state.organiser
    open_ones = await PublicationProposal.filter(state=ProposalState.OPEN).order_by("-week", "id")
    rows = []
    for proposal in open_ones:
        approvers = await publication.counted_approvers(proposal.id)
        rows.append(
            {
                "proposal": proposal,
                "approvals": len(approvers),
                "mine": me.id in set(approvers),
            }
        )
    return render(
        request,
        "reports/review/proposals.html",
        {
            "rows": rows,
            "approvals_needed": _approvals_needed(request),
            "approvers": await publication.possible_approvers(),
        },
    )


def _proposal_id(request: Request) -> uuid.UUID:
    return request.path_params["proposal_id"]


@organisers(*REVIEWERS)
async def approve(request: Request) -> Response:
    await read_form(request)
    proposal = await publication.approve(
        _proposal_id(request), request.state.organiser, needed=_approvals_needed(request)
    )
    if proposal.contract_id is not None:
        return RedirectResponse(
            absolute_url(request, "contracts:contract", contract_id=proposal.contract_id),
            status_code=303,
        )
    return RedirectResponse(absolute_url(request, "review:proposals"), status_code=303)


@organisers(*REVIEWERS)
async def withdraw(request: Request) -> Response:
    await read_form(request)
    await publication.withdraw(_proposal_id(request))
    return RedirectResponse(absolute_url(request, "review:proposals"), status_code=303)


@organisers(*REVIEWERS)
async def access(request: Request) -> Response:
    box, key = await _inbox_key(request)
    return render(
        request,
        "reports/review/access.html",
        {
            "has_access": key is not None,
            "waiting": await inbox.without_access(box),
            "notice": request.query_params.get("granted") == "1",
        },
    )


@organisers(*REVIEWERS)
async def grant(request: Request) -> Response:
    form = await read_form(request)
    box, key = await _inbox_key(request)
    if key is None:
        raise Refused(_("Only someone who has access can give it."), status=403, code="forbidden")
    username = str(form.get("username", ""))[:64]
    newcomer = await Organiser.get_or_none(username=username, role__in=inbox.REVIEW_ROLES)
    if newcomer is None:
        raise Refused(
            _("There is no reviewer or admin with that name."), status=404, code="not_found"
        )
    await inbox.grant(box, key, newcomer)
    return RedirectResponse(absolute_url(request, "review:access") + "?granted=1", status_code=303)


routes = [
    Route("/", queue, methods=["GET"], name="queue"),
    Route("/proposals", proposals, methods=["GET"], name="proposals"),
    Route("/proposals/{proposal_id:uuid}/approve", approve, methods=["POST"], name="approve"),
    Route("/proposals/{proposal_id:uuid}/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/access", access, methods=["GET"], name="access"),
    Route("/access", grant, methods=["POST"], name="grant"),
    Route("/{report_id:uuid}", report_page, methods=["GET"], name="report"),
    Route("/{report_id:uuid}/state", set_state, methods=["POST"], name="set_state"),
    Route("/{report_id:uuid}/reply", reply, methods=["POST"], name="reply"),
    Route("/{report_id:uuid}/merge", merge, methods=["POST"], name="merge"),
    Route("/{report_id:uuid}/propose", propose, methods=["POST"], name="propose"),
]
