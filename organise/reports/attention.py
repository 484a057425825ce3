"""What the reports ask of reviewers and admins (the account page's list); nobody else has any.

- Reports waiting for review: how many new reports the review queue holds, as the queue shows.
- Reports whose last message is from their reporter: one line each, for those who hold the
  report inbox key (only they can read and answer it), until a reviewer answers.
- Reviewers and admins waiting for the report inbox key, for those who hold it and can give it.

The queue and each report's page already show all of this to the same people: the lines say
no more (no time finer than the week a report or message carries).
"""

from __future__ import annotations

from uuid import UUID

from tortoise.functions import Max
from tortoise.queryset import QuerySet

from organise.attention import Asking, Item
from organise.i18n import _, ngettext
from organise.organisers.models import Organiser
from organise.reports import inbox
from organise.reports.models import Author, InboxGrant, Report, ReportMessage, ReviewState


async def _waiting_for_review() -> list[Item]:
    new = await Report.filter(merged_into_id__isnull=True, state=ReviewState.NEW).count()
    if not new:
        return []
    return [
        Item(
            kind="reports.new",
            text=ngettext("%(n)d report waits for review.", "%(n)d reports wait for review.", new)
            % {"n": new},
            route="review:queue",
            link_text=_("Review queue"),
        )
    ]


async def _last_positions(messages: QuerySet[ReportMessage]) -> dict[UUID, int]:
    """The last position in each of these messages' conversations."""
    rows = await (
        messages.annotate(last=Max("position"))
        .group_by("report_id")
        .values_list("report_id", "last")
    )
    return {report_id: last for report_id, last in rows}


async def _unanswered() -> list[Item]:
    """Reports whose conversation ends with a message from their reporter."""
    from_reporter = await _last_positions(ReportMessage.filter(author=Author.REPORTER))
    if not from_reporter:
        return []
    last = await _last_positions(ReportMessage.filter(report_id__in=list(from_reporter)))
    waiting = [
        report_id for report_id, position in from_reporter.items() if last[report_id] == position
    ]
    reports = await Report.filter(id__in=waiting).order_by("-week", "id")
    return [
        Item(
            kind="reports.message",
            text=_(
                "The reporter of a report about %(employer)s (week of %(week)s) wrote a message "
                "that waits for an answer."
            )
            % {"employer": report.employer_name, "week": report.week.isoformat()},
            route="review:report",
            params=(("report_id", str(report.id)),),
            link_text=_("Read and answer"),
        )
        for report in reports
    ]


async def _inbox_waiting(asking: Asking[Organiser]) -> list[Item]:
    box = await inbox.ensure_inbox(asking.keystore)
    return [
        Item(
            kind="reports.inbox_access",
            text=_("%(name)s waits for access to the report inbox, which you hold.")
            % {"name": organiser.username},
            route="review:access",
            link_text=_("Give access"),
        )
        for organiser in await inbox.without_access(box)
        if not organiser.disabled
    ]


async def for_reviewers(asking: Asking[Organiser]) -> list[Item]:
    organiser = asking.account
    if organiser.role not in inbox.REVIEW_ROLES:
        return []
    items = await _waiting_for_review()
    if await InboxGrant.exists(organiser_id=organiser.id):
        items += await _unanswered() + await _inbox_waiting(asking)
    return items


SOURCES = [for_reviewers]
