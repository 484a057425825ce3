"""Publishing a contract record: two reviewers must agree (configurable), exactly once."""

from __future__ import annotations

import asyncio
import re

import pytest

from organise.contracts.models import Contract, ContractEmployer, ContractSource
from organise.organisers.models import Organiser
from organise.reports import publication
from organise.reports.models import ProposalState, PublicationProposal, Report, ReviewState
from organise.roles import Role
from organise.settings import Settings
from tests.conftest import ON_POSTGRES
from tests.reports.helpers import (
    DRAFT,
    assert_tally_right,
    merge,
    propose,
    reviewer,
    set_state,
    submit,
    switch_to,
    total_counted,
)
from tests.support import make_organiser, post_form


async def _five_reports(client) -> tuple[Report, list[Report]]:
    """Signed in as a reviewer, five new reports: the first by id, and the four others."""
    await reviewer(client)
    for _ in range(5):
        await submit(client)
    root, *others = sorted(await Report.all(), key=lambda r: str(r.id))
    return root, others


async def test_two_reviewers_must_agree_before_a_record_is_published(client):
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client, "robin")
    receipt = await submit(client)
    report = await Report.get()
    proposed = await propose(client, report)
    assert proposed.status_code == 303
    assert await Contract.all().count() == 0
    proposal = await PublicationProposal.get()
    again = await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )
    assert again.status_code == 409
    assert "already approved" in again.text
    assert await Contract.all().count() == 0

    await switch_to(client, "sam")
    listing = await client.get("/organisers/reports/proposals")
    assert "Examplecorp supplies face recognition" in listing.text
    approved = await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )
    assert approved.status_code == 303
    contract = await Contract.get()
    assert approved.headers["location"].endswith(f"/contracts/{contract.id}")
    assert contract.origin == "reports"
    assert contract.report_count == 1
    assert contract.summary == DRAFT["summary"]
    employers = await ContractEmployer.filter(contract_id=contract.id).prefetch_related("employer")
    assert [link.employer.name for link in employers] == ["Examplecorp Inc."]
    assert [s.url for s in await ContractSource.filter(contract_id=contract.id)] == [
        "https://example.org/minutes"
    ]
    assert (await Report.get()).state == ReviewState.PUBLISHED
    assert (await PublicationProposal.get()).state == ProposalState.PUBLISHED

    client.cookies.clear()
    public = await client.get(f"/contracts/{contract.id}")
    assert public.status_code == 200
    assert "Examplecorp supplies face recognition" in public.text
    assert_origin_untold(public.text)
    assert (await client.post("/api/v1/reports/status", json={"receipt": receipt})).json()[
        "state"
    ] == "published"
    late = await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )
    assert late.status_code == 401  # a signed-out visitor cannot approve anything
    assert await Contract.all().count() == 1


@pytest.mark.publish_approvals(1)
async def test_a_small_group_can_publish_with_one_approval(client):
    await reviewer(client)
    await submit(client)
    report = await Report.get()
    assert (await propose(client, report)).status_code == 303
    assert await Contract.all().count() == 1


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("", 2), ("1", 1), ("3", 3), ("0", 2), ("two", 2), ("99", 2), ("\u00b2", 2), ("\u0663", 2)],
)
def test_approvals_setting_falls_back_to_two(raw, expected):
    settings = Settings.from_environ({"ORGANISE_PUBLISH_APPROVALS": raw})
    assert settings.publish_approvals == expected


def assert_origin_untold(text: str) -> None:
    """A published record states reviewed facts and public sources: nothing says that it came
    from workers' reports, how many, or that the contract is known inside the company."""
    lowered = text.lower()
    for told in ("known internally", "independent report", "reports behind", "fewer than"):
        assert told not in lowered


async def _published_views(client, contract: Contract) -> list[str]:
    """The record's page, its JSON and its CSV row, as anyone sees them."""
    client.cookies.clear()
    page = (await client.get(f"/contracts/{contract.id}")).text
    api = (await client.get("/api/v1/contracts")).json()["items"][0]
    assert "origin" not in api
    assert "independent_reports" not in api
    csv_text = (await client.get("/contracts/export.csv")).text
    assert "origin" not in csv_text.splitlines()[0]
    assert "independent_reports" not in csv_text.splitlines()[0]
    return [page, str(api), csv_text]


@pytest.mark.publish_approvals(1)
async def test_merged_reports_stay_behind_the_record_unsaid(client):
    root, others = await _five_reports(client)
    for other in others[:3]:
        await merge(client, other, root)
    await propose(client, root)
    contract = await Contract.get()
    assert contract.report_count == 4  # kept for the reviewers, never published
    # Publication leaves the dashboard's counts as they were: two reports still count.
    await assert_tally_right()
    assert await total_counted() == 2
    for view in await _published_views(client, contract):
        assert_origin_untold(view)
    await switch_to(client, "robin")
    # A fifth report about the same contract cannot be merged in later: the record changes
    # only through publication.
    late = await merge(client, others[3], root)
    assert late.status_code == 409
    assert "changes only through publication" in late.text
    assert (await Contract.get()).report_count == 4
    assert (await Report.get(id=others[3].id)).merged_into_id is None
    assert (await Report.get(id=others[3].id)).state == ReviewState.NEW
    # And the report behind the record takes no second record either.
    again = await propose(client, root)
    assert again.status_code == 409
    assert await Contract.all().count() == 1


@pytest.mark.publish_approvals(1)
async def test_five_reports_behind_a_record_are_not_counted_in_public(client):
    root, others = await _five_reports(client)
    for other in others:
        await merge(client, other, root)
    await propose(client, root)
    contract = await Contract.get()
    assert contract.report_count == 5
    for view in await _published_views(client, contract):
        assert_origin_untold(view)
        assert not re.search(r"<dd>5</dd>|'count': 5", view)


@pytest.mark.publish_approvals(1)
async def test_a_draft_cannot_say_known_internally(client):
    await reviewer(client)
    await submit(client, status="known-internally")
    report = await Report.get()
    form = await client.get(f"/organisers/reports/{report.id}")
    # The reviewer chooses what the record may say: nothing is ticked, and the choice the
    # record may not make is not offered.
    assert 'value="known-internally"' not in form.text
    assert not re.search(r'name="status" value="[a-z-]+" checked', form.text)
    refused = await propose(client, report, status="known-internally")
    assert refused.status_code == 422
    assert "cannot say that the contract is known internally" in refused.text
    assert await PublicationProposal.all().count() == 0
    assert await Contract.all().count() == 0
    with pytest.raises(publication.Refused) as refusal:
        publication.draft({**DRAFT, "sources": [], "status": "known-internally"})
    assert list(refusal.value.errors) == ["status"]


async def test_an_older_draft_saying_known_internally_is_published_as_rumoured(client):
    report, proposal = await _two_reviewers_and_a_proposal(client)
    # A proposal stored before drafts were checked for it (or written by an older server).
    await PublicationProposal.filter(id=proposal.id).update(
        draft={**proposal.draft, "status": "known-internally"}
    )
    assert (await _approve_as(client, "sam", proposal)).status_code == 303
    contract = await Contract.get()
    assert contract.status == "rumoured"
    for view in await _published_views(client, contract):
        assert_origin_untold(view)
    assert (await Report.get(id=report.id)).status == "known-internally"  # the report keeps it


async def _two_reviewers_and_a_proposal(client) -> tuple[Report, PublicationProposal]:
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client, "robin")
    await submit(client)
    report = await Report.get()
    assert (await propose(client, report)).status_code == 303
    return report, await PublicationProposal.get()


async def _approve_as(client, username: str, proposal: PublicationProposal):
    await switch_to(client, username)
    return await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )


async def test_rejecting_a_report_withdraws_its_proposals(client):
    report, proposal = await _two_reviewers_and_a_proposal(client)
    rejected = await set_state(client, report, "rejected")
    assert rejected.status_code == 303
    assert (await PublicationProposal.get()).state == ProposalState.WITHDRAWN
    refused = await _approve_as(client, "sam", proposal)
    assert refused.status_code == 409
    assert await Contract.all().count() == 0
    assert (await Report.get()).state == ReviewState.REJECTED


async def test_merging_a_report_withdraws_its_proposals(client):
    report, proposal = await _two_reviewers_and_a_proposal(client)
    await submit(client)
    other = await Report.exclude(id=report.id).get()
    merged = await merge(client, report, other)
    assert merged.status_code == 303
    assert (await PublicationProposal.get()).state == ProposalState.WITHDRAWN
    refused = await _approve_as(client, "sam", proposal)
    assert refused.status_code == 409
    assert await Contract.all().count() == 0


@pytest.mark.parametrize("change", ["rejected", "merged", "published"])
async def test_approval_rechecks_the_report_even_if_a_proposal_stayed_open(client, change):
    report, proposal = await _two_reviewers_and_a_proposal(client)
    await submit(client)
    other = await Report.exclude(id=report.id).get()
    # Change the report behind the reviewers' backs (an older server, a direct edit): the
    # proposal is still open, but approving it must look at the report as it is now.
    if change == "rejected":
        await Report.filter(id=report.id).update(state=ReviewState.REJECTED)
    elif change == "merged":
        await Report.filter(id=report.id).update(merged_into_id=other.id)
    else:
        earlier = await publication.propose(
            other,
            await Organiser.get(username="robin"),
            publication.Draft.from_json(proposal.draft),
            needed=2,
        )
        done = await publication.approve(earlier.id, await Organiser.get(username="sam"), needed=2)
        assert done.contract_id is not None
        await Report.filter(id=report.id).update(contract_id=done.contract_id)
    before = await Contract.all().count()
    refused = await _approve_as(client, "sam", proposal)
    assert refused.status_code == 409
    assert await Contract.all().count() == before
    assert (await PublicationProposal.get(id=proposal.id)).state == ProposalState.WITHDRAWN


async def test_approvals_of_demoted_reviewers_no_longer_count(client):
    report, proposal = await _two_reviewers_and_a_proposal(client)  # robin proposed
    await make_organiser("tess", Role.ADMIN)
    await Organiser.filter(username="robin").update(role=Role.ORGANISER)
    approved = await _approve_as(client, "sam", proposal)
    assert approved.status_code == 303
    assert await Contract.all().count() == 0  # robin's approval no longer counts
    listing = await client.get("/organisers/reports/proposals")
    assert "1 of 2" in listing.text
    published = await _approve_as(client, "tess", proposal)
    assert published.status_code == 303
    assert await Contract.all().count() == 1
    assert (await Report.get(id=report.id)).state == ReviewState.PUBLISHED


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"summary": ""}, "Summary is required"),
        ({"technologies": ["tea-leaves"]}, "not a known technology"),
        ({"sources": "javascript:alert(1)"}, "full web address"),
        ({"agency": ""}, "Name the agency"),
    ],
)
async def test_bad_drafts_are_refused_and_nothing_is_proposed(client, changes, needle):
    await reviewer(client)
    await submit(client)
    report = await Report.get()
    response = await propose(client, report, **changes)
    assert response.status_code in {400, 422}
    assert needle in response.text
    assert await PublicationProposal.all().count() == 0


async def test_withdrawn_proposals_cannot_be_approved(client):
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client)
    await submit(client)
    await propose(client, await Report.get())
    proposal = await PublicationProposal.get()
    await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/withdraw", {"confirm": "yes"}
    )
    await switch_to(client, "sam")
    refused = await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )
    assert refused.status_code == 409
    assert await Contract.all().count() == 0


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent approvals race only on PostgreSQL")
async def test_concurrent_approvals_publish_exactly_once(client):
    needed = 3
    names = [f"reviewer{n}" for n in range(6)]
    for name in names:
        await make_organiser(name, Role.REVIEWER)
    await submit(client)
    report = await Report.get()
    proposer, *approvers = [await Organiser.get(username=name) for name in names]
    draft = publication.draft({**DRAFT, "sources": [DRAFT["sources"]]})
    proposal = await publication.propose(report, proposer, draft, needed=needed)

    async def approve(organiser: Organiser) -> str:
        try:
            await publication.approve(proposal.id, organiser, needed=needed)
        except publication.Refused as refused:
            return str(refused.status)
        return "ok"

    outcomes = await asyncio.gather(*(approve(o) for o in approvers))
    assert await Contract.all().count() == 1
    assert (await PublicationProposal.get()).state == ProposalState.PUBLISHED
    # Two approvals were needed beyond the proposer's; later ones find the proposal closed.
    assert outcomes.count("ok") >= 2
    assert set(outcomes) <= {"ok", "409"}


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="concurrent approvals race only on PostgreSQL")
async def test_two_proposals_for_one_report_approved_at_once_publish_once(client):
    needed = 2
    names = ["ana", "ben", "cy", "dee"]
    for name in names:
        await make_organiser(name, Role.REVIEWER)
    ana, ben, cy, dee = [await Organiser.get(username=name) for name in names]
    draft = publication.draft({**DRAFT, "sources": [DRAFT["sources"]]})
    for _round in range(5):
        await submit(client)
        report = await Report.get(contract_id__isnull=True, state=ReviewState.NEW)
        first = await publication.propose(report, ana, draft, needed=needed)
        second = await publication.propose(report, ben, draft, needed=needed)

        async def approve(proposal_id, organiser: Organiser) -> str:
            try:
                await publication.approve(proposal_id, organiser, needed=needed)
            except publication.Refused as refused:
                return str(refused.status)
            return "ok"

        outcomes = await asyncio.gather(approve(first.id, cy), approve(second.id, dee))
        records = await Contract.filter(reports__id=report.id).count()
        assert records == 1, outcomes
        assert sorted(outcomes) == ["409", "ok"]
        contract = await Contract.get(reports__id=report.id)
        assert contract.report_count == 1
        states = sorted(p.state for p in await PublicationProposal.filter(report_id=report.id))
        assert states == [ProposalState.PUBLISHED, ProposalState.WITHDRAWN]
