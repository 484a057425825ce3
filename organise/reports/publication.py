"""Publishing a contract record from reports: proposed by one reviewer, approved by others.

A proposal needs approvals from `Settings.publish_approvals` distinct reviewers (2 by default;
the proposer counts as one); only approvals from organisers who are reviewers or admins at
publication time count. Publishing locks the report row, then the proposal row (PostgreSQL),
so that one report makes at most one record, however many approvals (of however many
proposals) arrive at the same moment; the same reviewer cannot approve twice (a unique
constraint). A proposal whose report was merged, rejected or published meanwhile is withdrawn.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from organise.contracts.employers import EmployerDirectory, canonical
from organise.contracts.fields import FACT_NAMES, column
from organise.contracts.models import (
    Contract,
    ContractEmployer,
    ContractSource,
    ContractTechnology,
    Origin,
)
from organise.contracts.taxonomy import published_status
from organise.db import column_values
from organise.fields import FormData
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.reports import review, tally
from organise.reports.fields import DRAFT
from organise.reports.models import (
    ProposalState,
    PublicationApproval,
    PublicationProposal,
    Report,
    ReviewState,
)
from organise.roles import Role
from organise.submissions.once import Record
from organise.weeks import this_week


@dataclasses.dataclass(frozen=True)
class Draft:
    """A proposed record: the contract's facts (by field name) and the reviewer's summary."""

    facts: Mapping[str, Any]
    summary: str

    def as_json(self) -> dict[str, object]:
        # Stored in the proposal under the columns' names, as proposals always were.
        return {**{column(name): self.facts[name] for name in FACT_NAMES}, "summary": self.summary}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Draft:
        facts = {name: data[column(name)] for name in FACT_NAMES}
        return cls(facts=facts, summary=str(data["summary"]))


def draft(form: FormData | dict[str, object]) -> Draft:
    """A reviewer's proposed record, checked like a report (plus a summary)."""
    values = DRAFT.read_json(form) if isinstance(form, dict) else DRAFT.read_form(form)
    if not canonical(values["employer"]):
        raise Refused({"employer": _("Name the employer.")}, code="missing_field")
    if not values["agency"]:
        raise Refused({"agency": _("Name the agency.")}, code="missing_field")
    facts = {name: values[name] for name in FACT_NAMES}
    return Draft(facts=facts, summary=values["summary"])


async def group_of(report: Report) -> list[uuid.UUID]:
    """The report and every report merged into it."""
    merged = await column_values(Report.filter(merged_into_id=report.id), "id")
    return [report.id, *merged]


REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)


def _unpublishable(report: Report) -> Refused | None:
    """Why no record can be published from `report` now, or None if one can."""
    if report.merged_into_id is not None:
        return Refused(
            _("Propose the record from the report this one was merged into."),
            status=409,
            code="merged",
        )
    if report.contract_id is not None or report.state == ReviewState.PUBLISHED:
        return Refused(
            _("A record has already been published from this report."), status=409, code="published"
        )
    if report.state == ReviewState.REJECTED:
        return Refused(
            _("This report was rejected; change its state first."), status=409, code="rejected"
        )
    return None


async def counted_approvers(proposal_id: uuid.UUID) -> list[uuid.UUID]:
    """Who has approved a proposal and still counts: only organisers who are reviewers or
    admins now. An approval from someone since demoted no longer counts."""
    return await column_values(
        PublicationApproval.filter(proposal_id=proposal_id, organiser__role__in=REVIEW_ROLES),
        "organiser_id",
    )


async def possible_approvers() -> int:
    """How many accounts can approve a record now (reviewers and admins)."""
    return await Organiser.filter(role__in=REVIEW_ROLES).count()


async def propose(
    report: Report,
    organiser: Organiser,
    proposed: Draft,
    *,
    needed: int,
    remember: Record[PublicationProposal] | None = None,
) -> PublicationProposal:
    """Propose `proposed` for publication, approved by its proposer; published at once if
    `needed` (Settings.publish_approvals) is 1. `remember` (an API `Idempotency-Key`'s record)
    runs last in the proposal's transaction."""
    async with in_transaction() as connection:
        current = await review.locked(report.id)
        problem = _unpublishable(current)
        if problem is not None:
            raise problem
        proposal = await PublicationProposal.create(
            report_id=report.id, proposer=organiser, draft=proposed.as_json(), week=this_week()
        )
        await PublicationApproval.create(proposal=proposal, organiser=organiser)
        if remember is not None:
            await remember(connection, proposal)
    return await approve_if_ready(proposal.id, needed=needed)


async def approve(
    proposal_id: uuid.UUID,
    organiser: Organiser,
    *,
    needed: int,
    remember: Record[PublicationProposal] | None = None,
) -> PublicationProposal:
    try:
        async with in_transaction() as connection:
            proposal = await _locked_open_proposal(proposal_id)
            await PublicationApproval.create(proposal_id=proposal.id, organiser_id=organiser.id)
            if remember is not None:
                await remember(connection, proposal)
    except IntegrityError:
        raise Refused(
            _("You have already approved this record."), status=409, code="already_approved"
        ) from None
    proposal = await approve_if_ready(proposal_id, needed=needed)
    if proposal.state == ProposalState.WITHDRAWN:
        # Another proposal for the same report was published at the same moment.
        raise Refused(
            _("This proposal was withdrawn: a record has already been published from its report."),
            status=409,
            code="proposal_closed",
        )
    return proposal


async def withdraw(
    proposal_id: uuid.UUID, *, remember: Record[PublicationProposal] | None = None
) -> None:
    async with in_transaction() as connection:
        proposal = await _locked_open_proposal(proposal_id)
        proposal.state = ProposalState.WITHDRAWN
        await proposal.save(update_fields=["state"])
        if remember is not None:
            await remember(connection, proposal)


def no_such_proposal() -> Refused:
    return Refused(_("There is no such proposal."), status=404, code="not_found")


async def _locked_open_proposal(proposal_id: uuid.UUID) -> PublicationProposal:
    # FOR UPDATE on PostgreSQL; SQLite serialises transactions anyway.
    proposal = await PublicationProposal.select_for_update().get_or_none(id=proposal_id)
    if proposal is None:
        raise no_such_proposal()
    if proposal.state != ProposalState.OPEN:
        raise Refused(_("This proposal is no longer open."), status=409, code="proposal_closed")
    return proposal


async def approve_if_ready(proposal_id: uuid.UUID, *, needed: int) -> PublicationProposal:
    """Publish the record once `needed` distinct reviewers approve (exactly once per report).

    Locks the report row, then the proposal row (the order used by review.py too), and
    publishes only while the report is unmerged, unpublished and not rejected: two proposals
    for one report approved at the same moment make one record, and a proposal whose report
    was merged or rejected meanwhile is withdrawn instead (409).
    """
    unlocked = await PublicationProposal.get_or_none(id=proposal_id)
    if unlocked is None:
        raise no_such_proposal()
    refused: Refused | None = None
    async with in_transaction() as connection:
        report = await Report.select_for_update().get(id=unlocked.report_id)
        proposal = await PublicationProposal.select_for_update().get(id=proposal_id)
        if proposal.state != ProposalState.OPEN:
            return proposal
        refused = _unpublishable(report)
        if refused is None:
            if len(await counted_approvers(proposal.id)) < needed:
                return proposal
            contract = await _publish(Draft.from_json(proposal.draft), report, connection)
            changed = await PublicationProposal.filter(
                id=proposal.id, state=ProposalState.OPEN
            ).update(state=ProposalState.PUBLISHED, contract_id=contract.id)
            if changed != 1:  # pragma: no cover - the row locks make this unreachable
                raise RuntimeError("proposal published twice")
            proposal.state = ProposalState.PUBLISHED
            proposal.contract_id = contract.id
        # Other open proposals for the same report are superseded (or, if the report can no
        # longer be published, this one is withdrawn with them).
        await PublicationProposal.filter(report_id=report.id, state=ProposalState.OPEN).update(
            state=ProposalState.WITHDRAWN
        )
    if refused is not None:
        raise refused
    return proposal


# Facts a record keeps elsewhere than in a column of its own (or not as given).
_NOT_COLUMNS = frozenset({"employer", "agency_type", "status", "technologies", "sources"})


async def _publish(proposed: Draft, report: Report, connection: BaseDBAsyncClient) -> Contract:
    facts = proposed.facts
    members = await group_of(report)
    contract = await Contract.create(
        summary=proposed.summary,
        **{column(name): facts[name] for name in FACT_NAMES if name not in _NOT_COLUMNS},
        agency_type=facts["agency_type"] or "other",
        # A draft proposed before records could not say "known internally" may still say so.
        status=published_status(facts["status"]),
        origin=Origin.REPORTS,
        report_count=len(members),
        published_week=this_week(),
    )
    directory = await EmployerDirectory.load()
    employers = [directory.get(vendor) for vendor in canonical(facts["employer"])]
    await directory.save_created()
    await ContractEmployer.bulk_create(
        [ContractEmployer(contract_id=contract.id, employer_id=e.id) for e in employers]
    )
    await ContractTechnology.bulk_create(
        [ContractTechnology(contract_id=contract.id, technology=t) for t in facts["technologies"]]
    )
    await ContractSource.bulk_create(
        [
            ContractSource(contract_id=contract.id, position=position, url=url)
            for position, url in enumerate(facts["sources"], start=1)
        ]
    )
    # Publishing moves no count today (published reports count as before); recounting keeps
    # the tally right whatever the counting rules become.
    async with tally.recounting(connection, members):
        await Report.filter(id__in=members).update(
            contract_id=contract.id, state=ReviewState.PUBLISHED
        )
    return contract
