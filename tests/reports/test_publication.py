"""Publishing a contract record: two reviewers must agree (configurable), exactly once."""

from __future__ import annotations

import asyncio
import re

import pytest

from organise.contracts.models import Contract, ContractEmployer, ContractSource
from organise.organisers.models import Organiser, Role
from organise.reports import config, publication
from organise.reports.models import ProposalState, PublicationProposal, Report, ReviewState
from tests.conftest import ON_POSTGRES
from tests.reports.helpers import post_form, reviewer, submit, switch_to
from tests.support import make_organiser

DRAFT = {
    "employer": "Examplecorp Inc.",
    "agency": "Springfield Police Department",
    "agency_type": "police",
    "country": "US",
    "jurisdiction": "Springfield, IL",
    "technologies": ["face-recognition"],
    "product": "",
    "status": "known-internally",
    "value_range": "1m-10m",
    "currency": "USD",
    "period_start": "2024-01",
    "period_end": "",
    "sources": "https://example.org/minutes",
    "summary": "Examplecorp supplies face recognition to the Springfield police.",
}


async def _propose(client, report: Report, **changes) -> object:
    return await post_form(client, f"/organisers/reports/{report.id}/propose", {**DRAFT, **changes})


async def test_two_reviewers_must_agree_before_a_record_is_published(client, monkeypatch):
    monkeypatch.delenv(config.APPROVALS_VARIABLE, raising=False)
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client, "robin")
    receipt = await submit(client)
    report = await Report.get()
    proposed = await _propose(client, report)
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
    assert "fewer than 5" in public.text
    assert (await client.post("/api/v1/reports/status", json={"receipt": receipt})).json()[
        "state"
    ] == "published"
    late = await post_form(
        client, f"/organisers/reports/proposals/{proposal.id}/approve", {"confirm": "yes"}
    )
    assert late.status_code == 401  # a signed-out visitor cannot approve anything
    assert await Contract.all().count() == 1


async def test_a_small_group_can_publish_with_one_approval(client, monkeypatch):
    monkeypatch.setenv(config.APPROVALS_VARIABLE, "1")
    await reviewer(client)
    await submit(client)
    report = await Report.get()
    assert (await _propose(client, report)).status_code == 303
    assert await Contract.all().count() == 1


@pytest.mark.parametrize(
    ("raw", "expected"), [("", 2), ("1", 1), ("3", 3), ("0", 2), ("two", 2), ("99", 2)]
)
def test_approvals_setting_falls_back_to_two(monkeypatch, raw, expected):
    monkeypatch.setenv(config.APPROVALS_VARIABLE, raw)
    assert config.publish_approvals() == expected


async def test_merged_reports_count_behind_the_record_with_suppression(client, monkeypatch):
    monkeypatch.setenv(config.APPROVALS_VARIABLE, "1")
    await reviewer(client)
    for _ in range(5):
        await submit(client)
    root, *others = sorted(await Report.all(), key=lambda r: str(r.id))
    for other in others[:3]:
        await post_form(client, f"/organisers/reports/{other.id}/merge", {"target": str(root.id)})
    await _propose(client, root)
    contract = await Contract.get()
    assert contract.report_count == 4
    assert "fewer than 5" in (await client.get(f"/contracts/{contract.id}")).text
    api = (await client.get("/api/v1/contracts")).json()["items"][0]
    assert api["independent_reports"] == {"count": None, "text": "fewer than 5"}
    # A fifth report about the same contract, merged later, lifts the count above k.
    await post_form(client, f"/organisers/reports/{others[3].id}/merge", {"target": str(root.id)})
    assert (await Contract.get()).report_count == 5
    page = (await client.get(f"/contracts/{contract.id}")).text
    assert re.search(r"<dd>5</dd>", page)
    api = (await client.get("/api/v1/contracts")).json()["items"][0]
    assert api["independent_reports"] == {"count": 5, "text": "5"}


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
    response = await _propose(client, report, **changes)
    assert response.status_code in {400, 422}
    assert needle in response.text
    assert await PublicationProposal.all().count() == 0


async def test_withdrawn_proposals_cannot_be_approved(client, monkeypatch):
    monkeypatch.delenv(config.APPROVALS_VARIABLE, raising=False)
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client)
    await submit(client)
    await _propose(client, await Report.get())
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
async def test_concurrent_approvals_publish_exactly_once(client, monkeypatch):
    monkeypatch.setenv(config.APPROVALS_VARIABLE, "3")
    names = [f"reviewer{n}" for n in range(6)]
    for name in names:
        await make_organiser(name, Role.REVIEWER)
    await submit(client)
    report = await Report.get()
    proposer, *approvers = [await Organiser.get(username=name) for name in names]
    draft = publication.draft({**DRAFT, "sources": [DRAFT["sources"]]})
    proposal = await publication.propose(report, proposer, draft)

    async def approve(organiser: Organiser) -> str:
        try:
            await publication.approve(proposal.id, organiser)
        except publication.RequestRefused as refused:
            return str(refused.status_code)
        return "ok"

    outcomes = await asyncio.gather(*(approve(o) for o in approvers))
    assert await Contract.all().count() == 1
    assert (await PublicationProposal.get()).state == ProposalState.PUBLISHED
    # Two approvals were needed beyond the proposer's; later ones find the proposal closed.
    assert outcomes.count("ok") >= 2
    assert set(outcomes) <= {"ok", "409"}
