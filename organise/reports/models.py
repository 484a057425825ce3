"""Worker reports, follow-up messages, the report inbox key, and publication proposals.

Privacy rules visible in the schema: random UUIDs; no time finer than the ISO week (`week`);
the free text a worker typed (details, messages) is stored only encrypted; the receipt only as
a keyed hash. Structured fields (employer, agency type, technologies, status...) are plain, so
they can be counted.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from organise.contracts.models import Contract, Employer
    from organise.organisers.models import Organiser


class ReviewState(StrEnum):
    NEW = "new"
    CORROBORATED = "corroborated"
    VERIFIED = "verified"
    REJECTED = "rejected"
    PUBLISHED = "published"


class Author(StrEnum):
    REPORTER = "reporter"
    REVIEWER = "reviewer"


class ProposalState(StrEnum):
    OPEN = "open"
    PUBLISHED = "published"
    WITHDRAWN = "withdrawn"


class ReportInbox(Model):
    """The one X25519 key pair that report details and messages are sealed to.

    The private key is stored only sealed to each reviewer's own key (InboxGrant).
    """

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=16, unique=True)
    public_key = fields.BinaryField()

    class Meta:
        table = "report_inbox"


class InboxGrant(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    inbox: fields.ForeignKeyRelation[ReportInbox] = fields.ForeignKeyField(
        "reports.ReportInbox", related_name="grants", on_delete=fields.CASCADE
    )
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="report_inbox_grants", on_delete=fields.CASCADE
    )
    # crypto.sealing blob of the inbox private key, addressed to the organiser's public key.
    sealed_private_key = fields.BinaryField()

    class Meta:
        table = "report_inbox_grant"
        unique_together = (("inbox", "organiser"),)


class Report(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    # Keyed hash (hex) of the normalised receipt: crypto.codes.code_hash, kind "report".
    receipt_hash = fields.CharField(max_length=64, unique=True)
    week = fields.DateField()
    employer_name = fields.CharField(max_length=200)
    employer: fields.ForeignKeyNullableRelation[Employer] = fields.ForeignKeyField(
        "contracts.Employer", related_name="reports", null=True, on_delete=fields.SET_NULL
    )
    agency_name = fields.CharField(max_length=300, default="")
    agency_type = fields.CharField(max_length=48, default="")
    country = fields.CharField(max_length=2, default="")
    jurisdiction = fields.CharField(max_length=300, default="")
    product = fields.CharField(max_length=200, default="")
    status = fields.CharField(max_length=32)
    value_range = fields.CharField(max_length=32, default="")
    currency = fields.CharField(max_length=3, default="")
    period_start = fields.CharField(max_length=7, default="")
    period_end = fields.CharField(max_length=7, default="")
    sources: list[str] = fields.JSONField(default=list)  # type: ignore[assignment]
    relation = fields.CharField(max_length=32, default="")
    # X25519 public key derived from the receipt: messages are sealed to it and to the inbox,
    # so the reporter (with the receipt) and reviewers (with the inbox key) can both read them.
    reporter_public_key = fields.BinaryField()
    # crypto.sealing blob (to the inbox key only) of the padded details text.
    details_sealed = fields.BinaryField()
    state = fields.CharEnumField(ReviewState, max_length=16, default=ReviewState.NEW)
    # A copy of the report's technologies (report_technology), written once with them:
    # ",slug,slug," in slug order, "" for none. The dashboard reads it from the index below,
    # so one employer's reports are counted by technology without joining the link rows.
    technologies = fields.CharField(max_length=2000, default="", db_default="")
    merged_into: fields.ForeignKeyNullableRelation[Report] = fields.ForeignKeyField(
        "reports.Report", related_name="merged_reports", null=True, on_delete=fields.SET_NULL
    )
    contract: fields.ForeignKeyNullableRelation[Contract] = fields.ForeignKeyField(
        "contracts.Contract", related_name="reports", null=True, on_delete=fields.SET_NULL
    )

    technology_links: fields.ReverseRelation[ReportTechnology]
    messages: fields.ReverseRelation[ReportMessage]

    # Set by Tortoise beside each foreign key; declared for the type checker.
    merged_into_id: uuid.UUID | None
    contract_id: uuid.UUID | None

    class Meta:
        table = "report"
        # The dashboard counts one employer's reports straight from this table: with every
        # column it reads in the index, PostgreSQL answers from the index alone.
        indexes = (
            (
                "employer_name",
                "week",
                "country",
                "agency_type",
                "status",
                "state",
                "merged_into_id",
                "id",
                "technologies",
            ),
        )


class ReportTechnology(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "reports.Report", related_name="technology_links", on_delete=fields.CASCADE
    )
    technology = fields.CharField(max_length=48)

    class Meta:
        table = "report_technology"
        unique_together = (("report", "technology"),)
        # A technology's reports from the index alone: the dashboard's technology filter on
        # one employer's reports reads this index instead of the link rows themselves.
        indexes = (("technology", "report_id"),)


class ReportTally(Model):
    """Maintained counts of the reports that count (organise/reports/tally.py).

    One row per cell: how many counted reports have `value` in `dimension`, within a slice
    of the data (one technology or "*" for all, one country or "*", one month or "*"). The
    dashboard sums these rows instead of grouping a million reports on every request.
    """

    id = fields.BigIntField(primary_key=True)
    dimension = fields.CharField(max_length=24)
    technology = fields.CharField(max_length=48)
    country = fields.CharField(max_length=2)
    month = fields.CharField(max_length=7)
    value = fields.CharField(max_length=200)
    reports = fields.IntField()

    class Meta:
        table = "report_tally"
        # Also the index every dashboard read uses (equality on the first four, a month range).
        unique_together = (("dimension", "technology", "country", "month", "value"),)


class ReportMessage(Model):
    """A message in a report's conversation, readable by the reporter and by reviewers."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "reports.Report", related_name="messages", on_delete=fields.CASCADE
    )
    # Order within this one conversation (1, 2, 3...); says nothing across reports.
    position = fields.IntField()
    author = fields.CharEnumField(Author, max_length=16)
    week = fields.DateField()
    author_organiser: fields.ForeignKeyNullableRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="report_messages", null=True, on_delete=fields.SET_NULL
    )
    # crypto.sealing blob of the padded text, to the inbox key and the report's reporter key.
    sealed = fields.BinaryField()

    report_id: uuid.UUID

    class Meta:
        table = "report_message"
        unique_together = (("report", "position"),)


class PublicationProposal(Model):
    """A contract record a reviewer proposes to publish, published once enough approve."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    report: fields.ForeignKeyRelation[Report] = fields.ForeignKeyField(
        "reports.Report", related_name="proposals", on_delete=fields.CASCADE
    )
    proposer: fields.ForeignKeyNullableRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser",
        related_name="report_proposals",
        null=True,
        on_delete=fields.SET_NULL,
    )
    # The public record as proposed (all of it meant for publication).
    draft: dict[str, Any] = fields.JSONField()  # type: ignore[assignment]
    state = fields.CharEnumField(ProposalState, max_length=16, default=ProposalState.OPEN)
    week = fields.DateField()
    contract: fields.ForeignKeyNullableRelation[Contract] = fields.ForeignKeyField(
        "contracts.Contract", related_name="proposals", null=True, on_delete=fields.SET_NULL
    )

    approvals: fields.ReverseRelation[PublicationApproval]

    report_id: uuid.UUID
    contract_id: uuid.UUID | None

    class Meta:
        table = "report_publication_proposal"


class PublicationApproval(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    proposal: fields.ForeignKeyRelation[PublicationProposal] = fields.ForeignKeyField(
        "reports.PublicationProposal", related_name="approvals", on_delete=fields.CASCADE
    )
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="report_approvals", on_delete=fields.CASCADE
    )

    class Meta:
        table = "report_publication_approval"
        unique_together = (("proposal", "organiser"),)
