"""Reviewing reports: the queue, opening details, review states, merging.

The review pages and the organiser JSON API call the same functions here. `remember` (the
record of the API's `Idempotency-Key`) runs last in a change's transaction.
"""

from __future__ import annotations

import uuid

import nacl.public
from tortoise.transactions import in_transaction

from crypto import reportbox
from organise.db import column_values
from organise.i18n import _
from organise.refusal import Refused
from organise.reports import tally
from organise.reports.models import ProposalState, PublicationProposal, Report, ReviewState
from organise.submissions.once import Record

# States a reviewer sets by hand; "published" comes only from publication.
SETTABLE_STATES = (
    ReviewState.NEW,
    ReviewState.CORROBORATED,
    ReviewState.VERIFIED,
    ReviewState.REJECTED,
)


# What the queue can show: one review state, or "all".
ALL = "all"
QUEUE_FILTERS = (*(state.value for state in ReviewState), ALL)


def queue_filter(raw: str) -> ReviewState | None:
    """The state a queue shows, from its address's `state` (None: every state)."""
    if raw not in QUEUE_FILTERS:
        raise Refused(_("Unknown review state."), status=400, code="bad_request")
    return None if raw == ALL else ReviewState(raw)


async def queue(state: ReviewState | None) -> list[Report]:
    """Reports not merged into another, newest week first; within a week in random-id order,
    which says nothing about arrival."""
    found = Report.filter(merged_into_id__isnull=True)
    if state is not None:
        found = found.filter(state=state)
    return list(await found.order_by("-week", "id").prefetch_related("technology_links"))


def no_such_report() -> Refused:
    return Refused(_("There is no report at this address."), status=404, code="not_found")


async def get_report(report_id: uuid.UUID) -> Report:
    report = await Report.get_or_none(id=report_id).prefetch_related("technology_links")
    if report is None:
        raise no_such_report()
    return report


def open_details(report: Report, inbox_key: nacl.public.PrivateKey) -> str:
    return reportbox.open_text(
        report.details_sealed, inbox_key, context=reportbox.details_context(report.id)
    )


async def merged_reports(report: Report) -> list[Report]:
    return list(await Report.filter(merged_into_id=report.id).order_by("-week", "id"))


async def locked(report_id: uuid.UUID) -> Report:
    """The report row, locked until the transaction ends (PostgreSQL; SQLite serialises).

    Lock order everywhere: report rows (by id) before proposal rows, so a state change, a
    merge and an approval never wait on each other in a circle.
    """
    report = await Report.select_for_update().get_or_none(id=report_id)
    if report is None:
        raise no_such_report()
    return report


async def _withdraw_open_proposals(report_ids: list[uuid.UUID]) -> None:
    await PublicationProposal.filter(report_id__in=report_ids, state=ProposalState.OPEN).update(
        state=ProposalState.WITHDRAWN
    )


async def set_state(
    report: Report, state: ReviewState, *, remember: Record[Report] | None = None
) -> None:
    """Set a report's state by hand. Rejecting it withdraws its open publication proposals.

    Only the report itself changes: reports merged into it keep their own state (see
    `followup.shown_state`), so their reporters learn nothing about this one.
    """
    if state not in SETTABLE_STATES:
        raise Refused(
            _("That is not a review state you can set."), status=400, code="invalid_state"
        )
    async with in_transaction() as connection:
        current = await locked(report.id)
        if current.state == ReviewState.PUBLISHED or current.contract_id is not None:
            raise Refused(
                _("This report is behind a published record; its state stays published."),
                status=409,
                code="conflict",
            )
        if current.merged_into_id is not None:
            raise Refused(
                _("Change the state of the report this one was merged into."),
                status=409,
                code="conflict",
            )
        async with tally.recounting(connection, [current.id]):
            await Report.filter(id=current.id).update(state=state)
        if state == ReviewState.REJECTED:
            await _withdraw_open_proposals([current.id])
        if remember is not None:
            await remember(connection, current)
    report.state = state


async def merge(report: Report, target: Report, *, remember: Record[Report] | None = None) -> None:
    """Fold `report` (and anything merged into it) into `target`: one contract, more reports.

    The moving reports keep their own review state (a change at merge time would tell their
    reporters that someone else reported the same contract), and their open publication
    proposals are withdrawn. A report behind a published record takes no merges: the public
    count of a record changes only through publication, which needs the approvals.
    """
    if report.id == target.id:
        raise Refused(_("A report cannot be merged into itself."), status=400, code="invalid_merge")
    async with in_transaction() as connection:
        rows = {r.id: await locked(r.id) for r in sorted((report, target), key=lambda r: r.id)}
        report, target = rows[report.id], rows[target.id]
        if report.merged_into_id is not None or target.merged_into_id is not None:
            raise Refused(
                _("Merge reports that have not been merged already."),
                status=409,
                code="invalid_merge",
            )
        if report.contract_id is not None:
            raise Refused(
                _("This report is behind a published record; merge the other report into it."),
                status=409,
                code="invalid_merge",
            )
        if target.contract_id is not None:
            raise Refused(
                _(
                    "That report is behind a published record. A published record's number of "
                    "reports changes only through publication, so nothing can be merged into it."
                ),
                status=409,
                code="merge_into_published",
            )
        moving = [
            report.id,
            *await column_values(Report.filter(merged_into_id=report.id), "id"),
        ]
        async with tally.recounting(connection, moving):
            await Report.filter(id__in=moving).update(merged_into_id=target.id)
        await _withdraw_open_proposals(moving)
        if remember is not None:
            await remember(connection, target)
