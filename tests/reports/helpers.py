"""Helpers shared by the report tests."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
from tortoise import connections
from tortoise.transactions import in_transaction

from organise.dashboard.aggregates import REPORTS, Aggregator, Filters
from organise.reports import tally
from organise.reports.models import (
    InboxGrant,
    PublicationApproval,
    PublicationProposal,
    Report,
    ReportInbox,
    ReportMessage,
    ReportTechnology,
)
from organise.roles import Role
from tests.support import make_organiser, post_form, sign_in, valid_report

JSON = {"Content-Type": "application/json"}
# The record a reviewer proposes for publication, as the propose form sends it.
DRAFT = {
    "employer": "Examplecorp Inc.",
    "agency": "Springfield Police Department",
    "agency_type": "police",
    "country": "US",
    "jurisdiction": "Springfield, IL",
    "technologies": ["face-recognition"],
    "product": "",
    "status": "rumoured",
    "value_range": "1m-10m",
    "currency": "USD",
    "period_start": "2024-01",
    "period_end": "",
    "sources": "https://example.org/minutes",
    "summary": "Examplecorp supplies face recognition to the Springfield police.",
}


def report_json(**changes: Any) -> dict[str, Any]:
    """A report with every field filled in; `changes` replace fields (`...` drops one)."""
    body = valid_report(
        "Our team ships the matching service to the department.",
        technologies=["face-recognition", "cloud-hosting"],
        jurisdiction="Springfield, IL",
        product="Project Lighthouse",
        value_range="1m-10m",
        currency="USD",
        period_start="2024-01",
        period_end="2025-06",
        sources=["https://example.org/council-minutes"],
    )
    body.update(changes)
    return {key: value for key, value in body.items() if value is not ...}


async def submit(client: httpx.AsyncClient, **changes: Any) -> str:
    response = await client.post("/api/v1/reports", json=report_json(**changes))
    assert response.status_code == 201, response.text
    return response.json()["receipt"]


async def status(client: httpx.AsyncClient, receipt: str) -> dict[str, Any]:
    response = await client.post("/api/v1/reports/status", json={"receipt": receipt})
    assert response.status_code == 200, response.text
    return response.json()


async def reviewer(client: httpx.AsyncClient, username: str = "robin", role: Role = Role.REVIEWER):
    """Create a reviewer account and sign this client in as them."""
    organiser = await make_organiser(username, role)
    client.cookies.clear()
    signed = await sign_in(client, username)
    assert signed.status_code == 303, signed.text
    return organiser


async def switch_to(client: httpx.AsyncClient, username: str) -> None:
    client.cookies.clear()
    signed = await sign_in(client, username)
    assert signed.status_code == 303, signed.text


async def set_state(client: httpx.AsyncClient, report: Report, state: str) -> httpx.Response:
    """A reviewer sets the report's review state, through the review page."""
    return await post_form(client, f"/organisers/reports/{report.id}/state", {"state": state})


async def merge(client: httpx.AsyncClient, report: Report, target: Report) -> httpx.Response:
    """A reviewer merges `report` into `target`, through the review page."""
    return await post_form(
        client, f"/organisers/reports/{report.id}/merge", {"into": str(target.id)}
    )


async def propose(client: httpx.AsyncClient, report: Report, **changes: Any) -> httpx.Response:
    """A reviewer proposes DRAFT (with `changes`) for publication, through the review page."""
    return await post_form(client, f"/organisers/reports/{report.id}/propose", {**DRAFT, **changes})


async def row_counts() -> dict[str, int]:
    return {
        model.__name__: await model.all().count()
        for model in (
            Report,
            ReportTechnology,
            ReportMessage,
            PublicationProposal,
            PublicationApproval,
            ReportInbox,
            InboxGrant,
        )
    }


async def kept_and_rebuilt() -> tuple[Counter, Counter]:
    """(the cells as maintained, the cells a rebuild computes); the rebuild is rolled back."""
    kept = await tally.read_all(connections.get("default"))

    class RollBack(Exception):
        pass

    rebuilt: Counter = Counter()
    try:
        async with in_transaction() as connection:
            await tally.rebuild(connection)
            rebuilt = await tally.read_all(connection)
            raise RollBack
    except RollBack:
        pass
    return kept, rebuilt


async def assert_tally_right() -> None:
    kept, rebuilt = await kept_and_rebuilt()
    assert kept == rebuilt


async def total_counted() -> int:
    answer = await Aggregator(REPORTS, k=1).answer("status", Filters())
    return sum(row.count or 0 for row in answer.rows)
