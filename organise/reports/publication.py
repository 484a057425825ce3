"""Publishing a contract record from reports: proposed by one reviewer, approved by others.

A proposal needs approvals from `config.publish_approvals()` distinct reviewers (2 by default;
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

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from organise.contracts.employers import EmployerDirectory, canonical
from organise.contracts.models import (
    Contract,
    ContractEmployer,
    ContractSource,
    ContractTechnology,
    Origin,
)
from organise.i18n import _
from organise.organisers.models import Organiser, Role
from organise.reports import config, tally
from organise.reports.models import (
    ProposalState,
    PublicationApproval,
    PublicationProposal,
    Report,
    ReviewState,
)
from organise.reports.validation import (
    MAX_SUMMARY_CHARS,
    ContractFacts,
    FieldRefused,
    contract_facts,
    text,
)
from organise.web.errors import RequestRefused
from organise.weeks import this_week


@dataclasses.dataclass(frozen=True)
class Draft:
    facts: ContractFacts
    summary: str

    def as_json(self) -> dict[str, object]:
        return {**dataclasses.asdict(self.facts), "summary": self.summary}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Draft:
        fields = {f.name for f in dataclasses.fields(ContractFacts)}
        facts = ContractFacts(**{name: data[name] for name in fields})  # type: ignore[arg-type]
        return cls(facts=facts, summary=str(data["summary"]))


def draft(raw: Mapping[str, object]) -> Draft:
    """A reviewer's proposed record, checked like a report (plus a summary)."""
    facts = contract_facts(raw)
    if not canonical(facts.employer_name):
        raise FieldRefused("employer", _("Name the employer."), "missing_field")
    if not facts.agency_name:
        raise FieldRefused("agency", _("Name the agency."), "missing_field")
    summary = text(
        raw.get("summary"), "summary", _("Summary"), max_chars=MAX_SUMMARY_CHARS, required=True
    )
    return Draft(facts=facts, summary=summary)


async def group_of(report: Report) -> list[uuid.UUID]:
    """The report and every report merged into it."""
    merged = await Report.filter(merged_into_id=report.id).values_list("id", flat=True)
    return [report.id, *merged]


REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)


def _unpublishable(report: Report) -> RequestRefused | None:
    """Why no record can be published from `report` now, or None if one can."""
    if report.merged_into_id is not None:
        return RequestRefused(
            409, _("Propose the record from the report this one was merged into."), "merged"
        )
    if report.contract_id is not None or report.state == ReviewState.PUBLISHED:
        return RequestRefused(
            409, _("A record has already been published from this report."), "published"
        )
    if report.state == ReviewState.REJECTED:
        return RequestRefused(
            409, _("This report was rejected; change its state first."), "rejected"
        )
    return None


async def counted_approvers(proposal_id: uuid.UUID) -> list[uuid.UUID]:
    """Who has approved a proposal and still counts: only organisers who are reviewers or
    admins now. An approval from someone since demoted no longer counts."""
    return list(
        await PublicationApproval.filter(
            proposal_id=proposal_id, organiser__role__in=REVIEW_ROLES
        ).values_list("organiser_id", flat=True)
    )


async def propose(report: Report, organiser: Organiser, proposed: Draft) -> PublicationProposal:
    async with in_transaction():
        current = await Report.select_for_update().get_or_none(id=report.id)
        if current is None:
            raise RequestRefused(404, _("There is no report at this address."))
        problem = _unpublishable(current)
        if problem is not None:
            raise problem
        proposal = await PublicationProposal.create(
            report_id=report.id, proposer=organiser, draft=proposed.as_json(), week=this_week()
        )
        await PublicationApproval.create(proposal=proposal, organiser=organiser)
    return await approve_if_ready(proposal.id)


async def approve(proposal_id: uuid.UUID, organiser: Organiser) -> PublicationProposal:
    try:
        async with in_transaction():
            proposal = await _locked_open_proposal(proposal_id)
            await PublicationApproval.create(proposal_id=proposal.id, organiser_id=organiser.id)
    except IntegrityError:
        raise RequestRefused(
            409, _("You have already approved this record."), "already_approved"
        ) from None
    proposal = await approve_if_ready(proposal_id)
    if proposal.state == ProposalState.WITHDRAWN:
        # Another proposal for the same report was published at the same moment.
        raise RequestRefused(
            409,
            _("This proposal was withdrawn: a record has already been published from its report."),
            "proposal_closed",
        )
    return proposal


async def withdraw(proposal_id: uuid.UUID) -> None:
    async with in_transaction():
        proposal = await _locked_open_proposal(proposal_id)
        proposal.state = ProposalState.WITHDRAWN
        await proposal.save(update_fields=["state"])


async def _locked_open_proposal(proposal_id: uuid.UUID) -> PublicationProposal:
    # FOR UPDATE on PostgreSQL; SQLite serialises transactions anyway.
    proposal = await PublicationProposal.select_for_update().get_or_none(id=proposal_id)
    if proposal is None:
        raise RequestRefused(404, _("There is no such proposal."))
    if proposal.state != ProposalState.OPEN:
        raise RequestRefused(409, _("This proposal is no longer open."), "proposal_closed")
    return proposal


async def approve_if_ready(proposal_id: uuid.UUID) -> PublicationProposal:
    """Publish the record once enough distinct reviewers approve (exactly once per report).

    Locks the report row, then the proposal row (the order used by review.py too), and
    publishes only while the report is unmerged, unpublished and not rejected: two proposals
    for one report approved at the same moment make one record, and a proposal whose report
    was merged or rejected meanwhile is withdrawn instead (409).
    """
    unlocked = await PublicationProposal.get_or_none(id=proposal_id)
    if unlocked is None:
        raise RequestRefused(404, _("There is no such proposal."))
    refused: RequestRefused | None = None
    async with in_transaction() as connection:
        report = await Report.select_for_update().get(id=unlocked.report_id)
        proposal = await PublicationProposal.select_for_update().get(id=proposal_id)
        if proposal.state != ProposalState.OPEN:
            return proposal
        refused = _unpublishable(report)
        if refused is None:
            if len(await counted_approvers(proposal.id)) < config.publish_approvals():
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


async def _publish(proposed: Draft, report: Report, connection: BaseDBAsyncClient) -> Contract:
    facts = proposed.facts
    members = await group_of(report)
    contract = await Contract.create(
        summary=proposed.summary,
        status=facts.status,
        agency_name=facts.agency_name,
        agency_type=facts.agency_type or "other",
        country=facts.country,
        jurisdiction=facts.jurisdiction,
        product=facts.product,
        value_range=facts.value_range,
        currency=facts.currency,
        period_start=facts.period_start,
        period_end=facts.period_end,
        origin=Origin.REPORTS,
        report_count=len(members),
        published_week=this_week(),
    )
    directory = await EmployerDirectory.load()
    employers = [directory.get(vendor) for vendor in canonical(facts.employer_name)]
    await directory.save_created()
    await ContractEmployer.bulk_create(
        [ContractEmployer(contract_id=contract.id, employer_id=e.id) for e in employers]
    )
    await ContractTechnology.bulk_create(
        [ContractTechnology(contract_id=contract.id, technology=t) for t in facts.technologies]
    )
    await ContractSource.bulk_create(
        [
            ContractSource(contract_id=contract.id, position=position, url=url)
            for position, url in enumerate(facts.sources, start=1)
        ]
    )
    # Publishing moves no count today (published reports count as before); recounting keeps
    # the tally right whatever the counting rules become.
    async with tally.recounting(connection, members):
        await Report.filter(id__in=members).update(
            contract_id=contract.id, state=ReviewState.PUBLISHED
        )
    return contract
