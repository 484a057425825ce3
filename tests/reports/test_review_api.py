"""/api/v1/organiser/reports: reviewers review by script, with the review pages' rules."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from organise.app import document
from organise.contracts.models import Contract
from organise.reports.models import (
    ProposalState,
    PublicationApproval,
    PublicationProposal,
    Report,
    ReviewState,
)
from organise.roles import Role
from tests.conftest import ON_POSTGRES
from tests.reports.helpers import DRAFT, assert_tally_right, row_counts, submit
from tests.support import api_token_headers

REPORTS = "/api/v1/organiser/reports"
SECRET_DETAILS = "Our team ships the matching service to the department."
# The draft as JSON: its links are a list, not a form's lines.
DRAFT_JSON = {**DRAFT, "sources": [DRAFT["sources"]]}
UNKNOWN_ID = "00000000-0000-4000-8000-000000000001"
KEY = "p" * 40


async def _post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    body: Any,
    *,
    key: str | None = None,
) -> httpx.Response:
    sent = dict(headers) if key is None else {**headers, "Idempotency-Key": key}
    return await client.post(f"{REPORTS}/{path}", json=body, headers=sent)


async def _reports(client: httpx.AsyncClient, count: int = 1) -> list[Report]:
    for _ in range(count):
        await submit(client)
    return sorted(await Report.all(), key=lambda r: str(r.id))


async def _reviewer(app, name: str = "robin", role: Role = Role.REVIEWER) -> dict[str, str]:
    return await api_token_headers(app, name, role)


async def test_the_queue_shows_what_the_queue_page_shows_and_never_the_details(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)

    response = await client.get(REPORTS, headers=headers)

    assert response.status_code == 200
    answer = response.json()
    assert answer["state"] == "new"
    assert answer["sealed"] == ["details", "messages"]
    assert answer["reports"] == [
        {
            "id": str(report.id),
            "week": report.week.isoformat(),
            "employer": "Examplecorp",
            "agency": "Springfield Police Department",
            "technologies": ["cloud-hosting", "face-recognition"],  # in a fixed order
            "state": "new",
        }
    ]
    one = await client.get(f"{REPORTS}/{report.id}", headers=headers)
    assert one.status_code == 200
    assert one.json()["product"] == "Project Lighthouse"
    assert one.json()["sources"] == ["https://example.org/council-minutes"]
    assert one.json()["sealed"] == ["details", "messages"]
    # The details are sealed to the inbox key, which a token cannot open: never in an answer.
    for text in (response.text, one.text):
        assert SECRET_DETAILS not in text
        assert "matching service" not in text


async def test_the_queue_filters_by_state_and_refuses_an_unknown_one(app, client):
    headers = await _reviewer(app)
    first, second = await _reports(client, 2)
    await _post(client, headers, f"{first.id}/decision", {"state": "verified"})
    verified = await client.get(REPORTS, params={"state": "verified"}, headers=headers)
    assert [r["id"] for r in verified.json()["reports"]] == [str(first.id)]
    new = await client.get(REPORTS, headers=headers)
    assert [r["id"] for r in new.json()["reports"]] == [str(second.id)]
    every = await client.get(REPORTS, params={"state": "all"}, headers=headers)
    assert {r["id"] for r in every.json()["reports"]} == {str(first.id), str(second.id)}
    unknown = await client.get(REPORTS, params={"state": "secret"}, headers=headers)
    assert unknown.status_code == 400
    assert unknown.json()["error"]["message"] == "Unknown review state."


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.GATEKEEPER])
async def test_other_roles_get_403_everywhere_and_change_nothing(app, client, role):
    headers = await api_token_headers(app, "kim", role)
    [report] = await _reports(client)
    before = await row_counts()
    assert (await client.get(REPORTS, headers=headers)).status_code == 403
    assert (await client.get(f"{REPORTS}/{report.id}", headers=headers)).status_code == 403
    for path, body in [
        ("decision", {"state": "rejected"}),
        ("merge", {"into": UNKNOWN_ID}),
        ("proposals", DRAFT_JSON),
        ("approve", {"proposal": UNKNOWN_ID}),
        ("withdraw", {"proposal": UNKNOWN_ID}),
    ]:
        refused = await _post(client, headers, f"{report.id}/{path}", body)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "forbidden"
    assert (await Report.get()).state == ReviewState.NEW
    assert await row_counts() == before


async def test_without_a_token_the_api_answers_401(client):
    [report] = await _reports(client)
    assert (await client.get(REPORTS)).status_code == 401
    refused = await client.post(f"{REPORTS}/{report.id}/decision", json={"state": "rejected"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "not_signed_in"
    assert (await Report.get()).state == ReviewState.NEW


async def test_an_admin_reviews_too(app, client):
    headers = await _reviewer(app, "root", Role.ADMIN)
    [report] = await _reports(client)
    decided = await _post(client, headers, f"{report.id}/decision", {"state": "corroborated"})
    assert decided.status_code == 200
    assert decided.json()["state"] == "corroborated"


async def test_an_unknown_report_is_404_everywhere(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)
    assert (await client.get(f"{REPORTS}/{UNKNOWN_ID}", headers=headers)).status_code == 404
    assert (await client.get(f"{REPORTS}/not-an-id", headers=headers)).status_code == 404
    for path, body in [
        ("decision", {"state": "rejected"}),
        ("merge", {"into": str(report.id)}),
        ("proposals", DRAFT_JSON),
        ("approve", {"proposal": UNKNOWN_ID}),
        ("withdraw", {"proposal": UNKNOWN_ID}),
    ]:
        refused = await _post(client, headers, f"{UNKNOWN_ID}/{path}", body)
        assert refused.status_code == 404, path
        assert refused.json()["error"]["code"] == "not_found"
    into_nothing = await _post(client, headers, f"{report.id}/merge", {"into": UNKNOWN_ID})
    assert into_nothing.status_code == 404
    assert (await Report.get()).merged_into_id is None
    assert not await PublicationProposal.exists()


async def test_a_decision_sets_a_state_the_page_can_set_and_no_other(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)
    for state in ("corroborated", "verified", "rejected", "new"):
        decided = await _post(client, headers, f"{report.id}/decision", {"state": state})
        assert decided.status_code == 200
        assert decided.json()["state"] == state
        assert (await Report.get()).state == ReviewState(state)
    for body, status in [
        ({"state": "published"}, 422),  # only publication, with its approvals, publishes
        ({"state": "approved"}, 422),
        ({"state": ""}, 422),
        ({"state": ["new"]}, 422),
        ({}, 422),
        ({"state": "new", "note": "x"}, 422),
        ([], 400),
    ]:
        refused = await _post(client, headers, f"{report.id}/decision", body)
        assert refused.status_code == status, body
        assert refused.json()["error"]["message"]
    assert (await Report.get()).state == ReviewState.NEW
    await assert_tally_right()


async def test_merging_follows_the_page_s_rules(app, client):
    headers = await _reviewer(app)
    first, second, third = await _reports(client, 3)

    merged = await _post(client, headers, f"{first.id}/merge", {"into": str(second.id)})

    assert merged.status_code == 200
    assert merged.json()["id"] == str(second.id)
    assert merged.json()["merged"] == [str(first.id)]
    assert (await Report.get(id=first.id)).merged_into_id == second.id
    queue = await client.get(REPORTS, headers=headers)
    assert str(first.id) not in {r["id"] for r in queue.json()["reports"]}
    shown = await client.get(f"{REPORTS}/{first.id}", headers=headers)
    assert shown.json()["merged_into"] == str(second.id)
    assert shown.json()["state"] == "new"  # a merged report keeps its own state
    again = await _post(client, headers, f"{first.id}/merge", {"into": str(third.id)})
    assert again.status_code == 409
    decided = await _post(client, headers, f"{first.id}/decision", {"state": "rejected"})
    assert decided.status_code == 409
    itself = await _post(client, headers, f"{third.id}/merge", {"into": str(third.id)})
    assert itself.status_code == 400
    for body in ({"into": "not-an-id"}, {"into": 7}, {}):
        refused = await _post(client, headers, f"{third.id}/merge", body)
        assert refused.status_code in (400, 422), body
    assert (await Report.get(id=third.id)).merged_into_id is None
    await assert_tally_right()


async def test_two_reviewers_must_approve_before_a_record_is_published(app, client):
    robin = await _reviewer(app, "robin")
    sam = await _reviewer(app, "sam")
    [report] = await _reports(client)

    proposed = await _post(client, robin, f"{report.id}/proposals", DRAFT_JSON)

    assert proposed.status_code == 201
    [proposal] = proposed.json()["proposals"]
    assert proposal["state"] == "open"
    assert (proposal["approvals"], proposal["approvals_needed"]) == (1, 2)
    assert not await Contract.exists()
    own = await _post(client, robin, f"{report.id}/approve", {"proposal": proposal["id"]})
    assert own.status_code == 409
    assert own.json()["error"]["code"] == "already_approved"
    assert not await Contract.exists()

    approved = await _post(client, sam, f"{report.id}/approve", {"proposal": proposal["id"]})

    assert approved.status_code == 200
    contract = await Contract.get()
    assert approved.json()["state"] == "published"
    assert approved.json()["contract"] == str(contract.id)
    assert approved.json()["proposals"][0]["state"] == "published"
    assert contract.summary == DRAFT["summary"]
    assert (await Report.get()).state == ReviewState.PUBLISHED
    refused = await _post(client, sam, f"{report.id}/decision", {"state": "new"})
    assert refused.status_code == 409
    await assert_tally_right()


@pytest.mark.publish_approvals(1)
async def test_one_approval_publishes_where_the_setting_says_so(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)
    proposed = await _post(client, headers, f"{report.id}/proposals", DRAFT_JSON)
    assert proposed.status_code == 201
    assert proposed.json()["state"] == "published"
    assert await Contract.all().count() == 1


async def test_a_bad_draft_is_refused_and_nothing_is_proposed(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)
    for changes in (
        {"summary": "x" * 5000},
        {"agency": ""},
        {"status": "known-internally"},
        {"sources": "https://example.org/a-string-not-a-list"},
        {"technologies": []},
        {"unknown": "field"},
    ):
        refused = await _post(client, headers, f"{report.id}/proposals", {**DRAFT_JSON, **changes})
        assert 400 <= refused.status_code < 500, changes
        assert refused.json()["error"]["message"]
    assert not await PublicationProposal.exists()
    assert not await PublicationApproval.exists()


async def test_a_proposal_is_approved_or_withdrawn_only_through_its_own_report(app, client):
    robin = await _reviewer(app, "robin")
    sam = await _reviewer(app, "sam")
    first, second = await _reports(client, 2)
    proposed = await _post(client, robin, f"{first.id}/proposals", DRAFT_JSON)
    proposal = proposed.json()["proposals"][0]["id"]

    elsewhere = await _post(client, sam, f"{second.id}/approve", {"proposal": proposal})
    assert elsewhere.status_code == 404
    withdrawn_elsewhere = await _post(client, sam, f"{second.id}/withdraw", {"proposal": proposal})
    assert withdrawn_elsewhere.status_code == 404
    assert await PublicationApproval.filter(proposal_id=proposal).count() == 1

    withdrawn = await _post(client, sam, f"{first.id}/withdraw", {"proposal": proposal})
    assert withdrawn.status_code == 200
    assert withdrawn.json()["proposals"][0]["state"] == "withdrawn"
    late = await _post(client, sam, f"{first.id}/approve", {"proposal": proposal})
    assert late.status_code == 409
    assert late.json()["error"]["code"] == "proposal_closed"
    assert not await Contract.exists()
    malformed = await _post(client, sam, f"{first.id}/approve", {"proposal": "42"})
    assert malformed.status_code == 400


async def test_rejecting_withdraws_the_open_proposals(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)
    await _post(client, headers, f"{report.id}/proposals", DRAFT_JSON)
    rejected = await _post(client, headers, f"{report.id}/decision", {"state": "rejected"})
    assert rejected.json()["proposals"][0]["state"] == "withdrawn"
    refused = await _post(client, headers, f"{report.id}/proposals", DRAFT_JSON)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "rejected"
    assert (await PublicationProposal.get()).state == ProposalState.WITHDRAWN


async def test_an_idempotency_key_proposes_once(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)

    first = await _post(client, headers, f"{report.id}/proposals", DRAFT_JSON, key=KEY)
    again = await _post(client, headers, f"{report.id}/proposals", DRAFT_JSON, key=KEY)

    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await PublicationProposal.all().count() == 1
    other = {**DRAFT_JSON, "summary": "Another summary."}
    reused = await _post(client, headers, f"{report.id}/proposals", other, key=KEY)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert await PublicationProposal.all().count() == 1
    decided = await _post(
        client, headers, f"{report.id}/decision", {"state": "verified"}, key="d" * 40
    )
    replayed = await _post(
        client, headers, f"{report.id}/decision", {"state": "verified"}, key="d" * 40
    )
    assert decided.status_code == replayed.status_code == 200
    assert replayed.json()["state"] == "verified"


async def test_a_reviewer_disabled_through_the_api_is_refused_at_once(app, client):
    robin = await _reviewer(app)
    admin = await _reviewer(app, "root", Role.ADMIN)
    [report] = await _reports(client)
    assert (await client.get(REPORTS, headers=robin)).status_code == 200
    disabled = await client.post("/api/v1/organiser/accounts/robin/disable", headers=admin)
    assert disabled.status_code == 200
    refused = await _post(client, robin, f"{report.id}/decision", {"state": "rejected"})
    assert refused.status_code == 401
    assert (await client.get(REPORTS, headers=robin)).status_code == 401
    assert (await Report.get()).state == ReviewState.NEW


def test_the_openapi_document_publishes_the_review_api_s_constraints():
    paths, schemas = document()["paths"], document()["components"]["schemas"]
    [state] = paths[REPORTS]["get"]["parameters"]
    assert state["schema"]["enum"] == [
        "new",
        "corroborated",
        "verified",
        "rejected",
        "published",
        "all",
    ]
    one = f"{REPORTS}/{{report_id}}"
    for path, method in [(one, "get")] + [
        (f"{one}/{name}", "post")
        for name in ("decision", "merge", "proposals", "approve", "withdraw")
    ]:
        operation = paths[path][method]
        [report_id] = [p for p in operation["parameters"] if p["in"] == "path"]
        assert report_id["schema"] == {"type": "string", "format": "uuid"}, path
        assert {"401", "403", "404"} <= set(operation["responses"]), path
    decision = schemas["ReviewDecision"]
    assert decision["properties"]["state"]["enum"] == [
        "new",
        "corroborated",
        "verified",
        "rejected",
    ]
    assert decision["required"] == ["state"]
    assert schemas["ReportMerge"]["properties"]["into"]["format"] == "uuid"
    assert schemas["ProposalChoice"]["properties"]["proposal"]["maxLength"] == 36
    draft = schemas["ContractDraft"]["properties"]
    assert draft["summary"]["maxLength"] > 0
    assert schemas["ReviewReport"]["properties"]["sealed"]["items"]["enum"] == [
        "details",
        "messages",
    ]
    assert "details" not in schemas["ReviewReport"]["properties"]
    assert paths[f"{one}/proposals"]["post"]["requestBody"]["content"]["application/json"][
        "schema"
    ] == {"$ref": "#/components/schemas/ContractDraft"}


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="requests at once race only on PostgreSQL")
async def test_one_key_sent_several_times_at_once_proposes_once(app, client):
    headers = await _reviewer(app)
    [report] = await _reports(client)

    answers = await asyncio.gather(
        *(_post(client, headers, f"{report.id}/proposals", DRAFT_JSON, key=KEY) for _ in range(4))
    )

    assert await PublicationProposal.all().count() == 1
    assert await PublicationApproval.all().count() == 1
    statuses = sorted(answer.status_code for answer in answers)
    # Each is the first one's answer, or (two at the very same moment) a clear conflict.
    assert set(statuses) <= {201, 409}
    assert 201 in statuses
