"""Helpers for campaign tests: campaigns made through the real service, pledges through the API.

The in-server ticker is off here (tests call `lifecycle.tick` themselves, with a chosen `now`),
except in test_ticker.py, which turns it on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from crypto.gate import GatePolicy
from organise.campaigns import invites, lifecycle, ticker
from organise.campaigns.models import Audience, Campaign, Pledge
from organise.campaigns.setup import (
    PAPER,
    CampaignSpec,
    CreatedCampaign,
    ShareDelivery,
    create_campaign,
)
from tests.conftest import connect_postgres
from tests.support import (
    GATEKEEPER_PASSPHRASE,
    campaign_owner,
    make_gatekeeper,
    post_form,
    sign_in,
)


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


async def make_campaign(app: Starlette, owner: str = "alex", **overrides: Any) -> CreatedCampaign:
    values: dict[str, Any] = {
        "slug": "walkout",
        "title": "Walk out of Project Lantern",
        "demand": "We will not build it.\n\nNot this year, not next.",
        "threshold": 3,
        "deadline": in_days(30),
        "employer": "Acme Cloud",
        "cooling_off_hours": 0,
        "gate": GatePolicy("server"),
    }
    values.update(overrides)
    delivery = values.pop("delivery", PAPER)
    return await create_campaign(
        CampaignSpec(**values),
        owner=await campaign_owner(owner),
        keystore=app.state.runtime.keystore,
        pepper=app.state.runtime.code_pepper,
        delivery=delivery,
    )


def campaign_form(**overrides: str) -> dict[str, str]:
    """The new-campaign form as an organiser fills it in; `overrides` change or add fields."""
    values = {
        "slug": "walkout",
        "title": "Walk out",
        "demand": "We refuse.",
        "employer": "Acme Cloud",
        "contract": "",
        "threshold": "3",
        "deadline": in_days(30).strftime("%Y-%m-%dT%H:%M"),
        "cooling_off_hours": "48",
        "audience": "organisers",
        "invite_mode": "invite",
        "onward_invites": "2",
        # 1 + 2 = 3 pledges from one code reach the threshold of 3: confirmed.
        "accept_chain_risk": "1",
        "progress_display": "rounded",
        "gate_mode": "server",
        "gatekeepers": "3",
        "gatekeepers_required": "2",
    }
    values.update(overrides)
    return values


async def create_through_form(client: httpx.AsyncClient, **overrides: str) -> httpx.Response:
    """Send the new-campaign form (`campaign_form(**overrides)`) as the signed-in organiser."""
    return await post_form(client, "/organisers/campaigns/new", campaign_form(**overrides))


async def make_codes(app: Starlette, campaign: Campaign, count: int) -> list[str]:
    fresh = await Campaign.get(id=campaign.id)
    return await invites.generate(fresh, count, pepper=app.state.runtime.code_pepper)


async def sign(
    client: httpx.AsyncClient, slug: str, code: str | None, name: str, **fields: Any
) -> httpx.Response:
    body: dict[str, Any] = {"name": name, **fields}
    if code is not None:
        body["invite_code"] = code
    return await client.post(f"/api/v1/campaigns/{slug}/pledges", json=body)


async def sign_with_new_codes(
    app: Starlette,
    client: httpx.AsyncClient,
    campaign: Campaign,
    signers: int | Sequence[str],
    **fields: Any,
) -> list[dict[str, Any]]:
    """Each signer (`Signer 0`, `Signer 1`, ... for a number) pledges with a new invite code of
    its own, through the JSON API; their answers, receipts included."""
    names = (
        [f"Signer {number}" for number in range(signers)] if isinstance(signers, int) else signers
    )
    answers = []
    for code, name in zip(await make_codes(app, campaign, len(names)), names, strict=True):
        response = await sign(client, campaign.slug, code, name, **fields)
        assert response.status_code == 201, response.text
        answers.append(response.json())
    return answers


async def to_the_gate(app: Starlette, client: httpx.AsyncClient, campaign: Campaign) -> None:
    """Three signers reach the threshold; at the tick the campaign waits for its gatekeepers."""
    await sign_with_new_codes(app, client, campaign, 3)
    assert (await tick(app)).awaiting_gate == 1


async def account_gatekept_campaign(app: Starlette, **overrides: Any) -> Campaign:
    """A campaign whose shares are sealed to the gatekeeper accounts ana, bo and cy (made here)."""
    for name in ("ana", "bo", "cy"):
        await make_gatekeeper(app, name)
    overrides.setdefault("gate", GatePolicy("server_and_gatekeepers", 3, 2))
    delivery = ShareDelivery(gatekeeper_accounts=("ana", "bo", "cy"))
    return (await make_campaign(app, delivery=delivery, **overrides)).campaign


async def shares_page(client: httpx.AsyncClient, username: str) -> httpx.Response:
    """The page of held shares as the gatekeeper account `username` sees it, signed in afresh."""
    client.cookies.clear()
    await sign_in(client, username, GATEKEEPER_PASSPHRASE)
    return await client.get("/organisers/shares/")


async def post_release(client: httpx.AsyncClient, held_id: str) -> httpx.Response:
    """The signed-in gatekeeper hands in its held share, with its passphrase."""
    return await post_form(
        client, f"/organisers/shares/{held_id}/release", {"passphrase": GATEKEEPER_PASSPHRASE}
    )


async def awaiting_gate(
    app: Starlette, client: httpx.AsyncClient, gate: GatePolicy, slug: str = "walkout"
) -> tuple[Campaign, list[str], list[dict[str, Any]]]:
    """A campaign (co-signers see the reveal) at its gate after three pledges: the campaign,
    the gatekeeper shares dealt on paper, and the pledges' answers."""
    created = await make_campaign(app, slug=slug, gate=gate, audience=Audience.COSIGNERS)
    campaign = created.campaign
    receipts = await sign_with_new_codes(app, client, campaign, 3)
    report = await tick(app)
    assert report.awaiting_gate == 1
    assert report.revealed == 0
    return campaign, list(created.gatekeeper_shares), receipts


async def hand_in(client: httpx.AsyncClient, slug: str, words: str) -> httpx.Response:
    """A gatekeeper hands in a share on the campaign's gate page."""
    return await post_form(client, f"/campaigns/{slug}/gate", {"share": words})


def mistyped(words: str, position: int = 10) -> str:
    """A share with one word typed wrong (its checksum then fails)."""
    listed = words.split()
    listed[position] = "academic" if listed[position] != "academic" else "acid"
    return " ".join(listed)


async def tick(app: Starlette, now: datetime | None = None) -> lifecycle.TickReport:
    return await lifecycle.tick(app.state.runtime.keystore, now=now)


async def refreshed(campaign: Campaign) -> Campaign:
    return await Campaign.get(id=campaign.id)


def pledge_key_names(app: Starlette, campaign: Campaign) -> list[str]:
    return app.state.runtime.keystore.names(f"pledge/{campaign.id}/")


async def pledge_rows(campaign: Campaign) -> int:
    return await Pledge.filter(campaign_id=campaign.id).count()


async def campaign_counts(slug: str) -> dict[str, object]:
    """The campaign's state and counts, its pledge rows and its events by kind, read straight
    from the PostgreSQL database (for tests that run real servers)."""
    connection = await connect_postgres()
    try:
        campaign = await connection.fetchrow(
            "SELECT id, state, pledge_count, revealed_count FROM campaign WHERE slug = $1",
            slug,
        )
        rows = await connection.fetchval(
            "SELECT count(*) FROM campaign_pledge WHERE campaign_id = $1", campaign["id"]
        )
        events = await connection.fetch(
            "SELECT kind, count(*) AS n FROM campaign_event WHERE campaign_id = $1 GROUP BY kind",
            campaign["id"],
        )
        return {
            "state": campaign["state"],
            "pledge_count": campaign["pledge_count"],
            "revealed_count": campaign["revealed_count"],
            "rows": rows,
            "events": {event["kind"]: event["n"] for event in events},
        }
    finally:
        await connection.close()
