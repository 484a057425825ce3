"""Reviewing reports as JSON, for reviewers' and admins' scripts: /api/v1/organiser/reports.

The same queue, states, merging and publication as the review pages (`organiser_pages`),
through the same domain calls (`review`, `publication`), so the same rules hold: "published"
comes only from a proposal approved by `publish_approvals` distinct reviewers.

What the API does not give: a report's details and its conversation with the reporter are
sealed to the report inbox key, which opens only with a reviewer's private key in a signed-in
browser session. An API token holds no private key, so the answers leave them out (and name
them in `sealed`), and replying to a reporter stays on the report's page, where the
conversation can be read first.

Every write accepts an `Idempotency-Key`: the same key and body again answer as the first
time did and change nothing more.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.organisers.models import Organiser
from organise.reports import publication, review
from organise.reports.fields import DECISION, DRAFT, MERGE, PROPOSAL_CHOICE
from organise.reports.models import PublicationProposal, Report, ReviewState
from organise.roles import Role
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.once import Outcomes, Record, run_once
from organise.web.access import organisers
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented, organiser_write, query_parameter

REVIEWERS = (Role.REVIEWER, Role.ADMIN)
# Sealed to the report inbox key: never in an answer of this API.
SEALED = ("details", "messages")
UUID_SCHEMA = {"type": "string", "format": "uuid"}
_PATH = {"report_id": UUID_SCHEMA}
# What a write keeps for its Idempotency-Key: the id of the row it changed or made.
_BY_ID = Outcomes[str](keep=lambda found: {"id": found}, shown_again=lambda kept: kept["id"])


def _report_id(request: Request) -> uuid.UUID:
    """The report id of the address; an address that holds no id names no report (404)."""
    raw = str(request.path_params["report_id"])
    try:
        return uuid.UUID(raw[:64])
    except ValueError:
        raise review.no_such_report() from None


def _summary(report: Report) -> dict[str, Any]:
    """A line of the queue: what the queue page shows."""
    return {
        "id": str(report.id),
        "week": report.week.isoformat(),
        "employer": report.employer_name,
        "agency": report.agency_name,
        "technologies": sorted(link.technology for link in report.technology_links),
        "state": report.state.value,
    }


async def _proposal(proposal: PublicationProposal, needed: int) -> dict[str, Any]:
    return {
        "id": str(proposal.id),
        "state": proposal.state.value,
        "week": proposal.week.isoformat(),
        "approvals": len(await publication.counted_approvers(proposal.id)),
        "approvals_needed": needed,
        "contract": str(proposal.contract_id) if proposal.contract_id else None,
    }


def _needed(request: Request) -> int:
    return runtime(request).settings.publish_approvals


async def _report(request: Request, report_id: uuid.UUID) -> dict[str, Any]:
    """One report as its page shows it, without what is sealed."""
    report = await review.get_report(report_id)
    proposals = await PublicationProposal.filter(report_id=report.id).order_by("-week", "id")
    needed = _needed(request)
    return {
        **_summary(report),
        "agency_type": report.agency_type,
        "country": report.country,
        "jurisdiction": report.jurisdiction,
        "product": report.product,
        "status": report.status,
        "value_range": report.value_range,
        "currency": report.currency,
        "period_start": report.period_start,
        "period_end": report.period_end,
        "relation": report.relation,
        "sources": list(report.sources),
        "merged_into": str(report.merged_into_id) if report.merged_into_id else None,
        "contract": str(report.contract_id) if report.contract_id else None,
        "merged": [str(other.id) for other in await review.merged_reports(report)],
        "proposals": [await _proposal(p, needed) for p in proposals],
        "sealed": list(SEALED),
    }


Change = Callable[[Record[Any] | None], Awaitable[Report | PublicationProposal | uuid.UUID]]


def _row_id(row: Report | PublicationProposal | uuid.UUID) -> uuid.UUID:
    return row if isinstance(row, uuid.UUID) else row.id


async def _once(
    request: Request,
    operation: str,
    values: Mapping[str, object],
    change: Change,
) -> uuid.UUID:
    """Run `change` once per Idempotency-Key (and body); the id of what it changed or made
    (the record keeps that id, never the body)."""
    once = await tokens.organiser_submission(
        request, f"review-{operation}", {"report": str(_report_id(request)), **values}
    )

    async def work(*, remember: Record[str] | None) -> str:
        async def record(connection: Any, row: Any) -> None:
            if remember is not None:
                await remember(connection, str(_row_id(row)))

        return str(_row_id(await change(record if remember is not None else None)))

    found: str = await run_once(once, work, _BY_ID, other_content="refuse")
    return uuid.UUID(found)


@organisers(*REVIEWERS)
@documented(
    Operation(
        summary="The review queue: reports not merged into another, newest week first (in "
        "random order within a week). Details and messages are sealed and not included. "
        "Reviewers and admins.",
        answers={200: ("ReviewQueue", "The reports in that state.")},
        refusals=(400, 401, 403),
        parameters=(
            query_parameter(
                "state",
                'The review state to list (default "new"), or "all".',
                enum=list(review.QUEUE_FILTERS),
            ),
        ),
        organisers_only=True,
    )
)
async def queue(request: Request) -> Response:
    raw = request.query_params.get("state", ReviewState.NEW.value)
    reports = await review.queue(review.queue_filter(raw))
    return JSONResponse(
        {"state": raw, "reports": [_summary(report) for report in reports], "sealed": list(SEALED)}
    )


@organisers(*REVIEWERS)
@documented(
    Operation(
        summary="One report: its facts, state, merges and publication proposals. Its details "
        "and messages are sealed to the report inbox key and not included.",
        answers={200: ("ReviewReport", "The report.")},
        refusals=(401, 403, 404),
        organisers_only=True,
        path_schemas=_PATH,
    )
)
async def report(request: Request) -> Response:
    return JSONResponse(await _report(request, _report_id(request)))


@organisers(*REVIEWERS)
@documented(
    organiser_write(
        'Set a report\'s review state. "published" is not a decision: it comes only '
        "from a publication proposal with enough approvals. Rejecting withdraws its open "
        "proposals.",
        {200: ("ReviewReport", "The report as it is now.")},
        body=DECISION,
        path_schemas=_PATH,
    )
)
async def decision(request: Request) -> Response:
    values = DECISION.read_json(await read_json_object(request))
    state = ReviewState(values["state"])

    async def change(remember: Record[Report] | None) -> Report:
        found = await review.get_report(_report_id(request))
        await review.set_state(found, state, remember=remember)
        return found

    await _once(request, "decision", {"state": state.value}, change)
    return JSONResponse(await _report(request, _report_id(request)))


@organisers(*REVIEWERS)
@documented(
    organiser_write(
        "Merge this report (and any merged into it) into another: one contract, more "
        "reports. Each keeps its own review state.",
        {200: ("ReviewReport", "The report merged into, as it is now.")},
        body=MERGE,
        path_schemas=_PATH,
    )
)
async def merge(request: Request) -> Response:
    values = MERGE.read_json(await read_json_object(request))
    into: uuid.UUID = values["into"]

    async def change(remember: Record[Report] | None) -> Report:
        found = await review.get_report(_report_id(request))
        target = await review.get_report(into)
        await review.merge(found, target, remember=remember)
        return target

    target_id = await _once(request, "merge", {"into": str(into)}, change)
    return JSONResponse(await _report(request, target_id))


@organisers(*REVIEWERS)
@documented(
    organiser_write(
        "Propose a public contract record from this report, approved by you. It is "
        "published once publish_approvals distinct reviewers or admins have approved it.",
        {201: ("ReviewReport", "Proposed (or published, if one approval is enough).")},
        body=DRAFT,
        path_schemas=_PATH,
    )
)
async def propose(request: Request) -> Response:
    proposed = publication.draft(await read_json_object(request))
    acting: Organiser = request.state.organiser

    async def change(remember: Record[PublicationProposal] | None) -> PublicationProposal:
        found = await review.get_report(_report_id(request))
        return await publication.propose(
            found, acting, proposed, needed=_needed(request), remember=remember
        )

    await _once(request, "propose", proposed.as_json(), change)
    return JSONResponse(await _report(request, _report_id(request)), status_code=201)


async def _proposal_of_report(request: Request) -> uuid.UUID:
    """The proposal named in the body, which must be one of this report's (else 404)."""
    proposal_id: uuid.UUID = PROPOSAL_CHOICE.read_json(await read_json_object(request))["proposal"]
    report_id = (await review.get_report(_report_id(request))).id
    if not await PublicationProposal.exists(id=proposal_id, report_id=report_id):
        raise publication.no_such_proposal()
    return proposal_id


@organisers(*REVIEWERS)
@documented(
    organiser_write(
        "Approve one of this report's open publication proposals. Your approval "
        "counts once; the record is published when enough distinct reviewers approve.",
        {200: ("ReviewReport", "The report as it is now.")},
        body=PROPOSAL_CHOICE,
        path_schemas=_PATH,
    )
)
async def approve(request: Request) -> Response:
    proposal_id = await _proposal_of_report(request)
    acting: Organiser = request.state.organiser

    async def change(remember: Record[PublicationProposal] | None) -> PublicationProposal:
        return await publication.approve(
            proposal_id, acting, needed=_needed(request), remember=remember
        )

    await _once(request, "approve", {"proposal": str(proposal_id)}, change)
    return JSONResponse(await _report(request, _report_id(request)))


@organisers(*REVIEWERS)
@documented(
    organiser_write(
        "Withdraw one of this report's open publication proposals.",
        {200: ("ReviewReport", "The report as it is now.")},
        body=PROPOSAL_CHOICE,
        path_schemas=_PATH,
    )
)
async def withdraw(request: Request) -> Response:
    proposal_id = await _proposal_of_report(request)

    async def change(remember: Record[PublicationProposal] | None) -> uuid.UUID:
        await publication.withdraw(proposal_id, remember=remember)
        return proposal_id

    await _once(request, "withdraw", {"proposal": str(proposal_id)}, change)
    return JSONResponse(await _report(request, _report_id(request)))


PREFIX = "/api/v1/organiser/reports"
# No path convertor: the OpenAPI document and the routing-table tests name the parameter
# plainly, and an address with something else than an id in it is answered 404 as unknown.
_ONE = PREFIX + "/{report_id}"

routes = [
    Route(PREFIX, queue, methods=["GET"], name="api_review_queue"),
    Route(_ONE, report, methods=["GET"], name="api_review_report"),
    Route(_ONE + "/decision", decision, methods=["POST"], name="api_review_decision"),
    Route(_ONE + "/merge", merge, methods=["POST"], name="api_review_merge"),
    Route(_ONE + "/proposals", propose, methods=["POST"], name="api_review_propose"),
    Route(_ONE + "/approve", approve, methods=["POST"], name="api_review_approve"),
    Route(_ONE + "/withdraw", withdraw, methods=["POST"], name="api_review_withdraw"),
]
