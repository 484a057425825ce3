"""Reviewing reports: the queue, opening details, review states, merging."""

from __future__ import annotations

import uuid

import nacl.public
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto import reportbox
from organise.contracts.models import Contract
from organise.i18n import _
from organise.reports.models import Report, ReviewState
from organise.web.errors import RequestRefused

# States a reviewer sets by hand; "published" comes only from publication.
SETTABLE_STATES = (
    ReviewState.NEW,
    ReviewState.CORROBORATED,
    ReviewState.VERIFIED,
    ReviewState.REJECTED,
)


async def queue(state: ReviewState | None) -> list[Report]:
    """Reports not merged into another, newest week first; within a week in random-id order,
    which says nothing about arrival."""
    found = Report.filter(merged_into_id__isnull=True)
    if state is not None:
        found = found.filter(state=state)
    return list(await found.order_by("-week", "id").prefetch_related("technology_links"))


async def get_report(report_id: uuid.UUID) -> Report:
    report = await Report.get_or_none(id=report_id).prefetch_related("technology_links")
    if report is None:
        raise RequestRefused(404, _("There is no report at this address."))
    return report


def open_details(report: Report, inbox_key: nacl.public.PrivateKey) -> str:
    return reportbox.open_text(
        report.details_sealed, inbox_key, context=reportbox.details_context(report.id)
    )


async def merged_reports(report: Report) -> list[Report]:
    return list(await Report.filter(merged_into_id=report.id).order_by("-week", "id"))


async def set_state(report: Report, state: ReviewState) -> None:
    if state not in SETTABLE_STATES:
        raise RequestRefused(400, _("That is not a review state you can set."), "invalid_state")
    if report.state == ReviewState.PUBLISHED:
        raise RequestRefused(
            409, _("This report is behind a published record; its state stays published.")
        )
    if report.merged_into_id is not None:
        raise RequestRefused(409, _("Change the state of the report this one was merged into."))
    report.state = state
    await report.save(update_fields=["state"])


async def merge(report: Report, target: Report) -> None:
    """Fold `report` (and anything merged into it) into `target`: one contract, more reports."""
    if report.id == target.id:
        raise RequestRefused(400, _("A report cannot be merged into itself."), "invalid_merge")
    if report.merged_into_id is not None or target.merged_into_id is not None:
        raise RequestRefused(
            409, _("Merge reports that have not been merged already."), "invalid_merge"
        )
    if report.contract_id is not None:
        raise RequestRefused(
            409,
            _("This report is behind a published record; merge the other report into it."),
            "invalid_merge",
        )
    async with in_transaction():
        moving = [
            report.id,
            *await Report.filter(merged_into_id=report.id).values_list("id", flat=True),
        ]
        await Report.filter(id__in=moving).update(merged_into_id=target.id)
        if target.contract_id is not None:
            await Report.filter(id__in=moving).update(
                contract_id=target.contract_id, state=ReviewState.PUBLISHED
            )
            await Contract.filter(id=target.contract_id).update(
                report_count=F("report_count") + len(moving)
            )
