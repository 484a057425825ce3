"""The in-server ticker reveals on its own, wakes on a zero-hour cooling-off, and stops cleanly."""

from __future__ import annotations

import asyncio

import httpx

from organise.campaigns import ticker
from organise.campaigns.models import Campaign, CampaignState
from organise.organisers.models import Organiser
from tests.campaigns.conftest import make_campaign, make_codes


async def _wait_for_state(campaign_id, state, seconds=10.0):
    for _ in range(int(seconds / 0.05)):
        if (await Campaign.get(id=campaign_id)).state == state:
            return True
        await asyncio.sleep(0.05)
    return False


async def test_the_ticker_wakes_when_the_threshold_is_crossed(app, monkeypatch):
    # A long interval: only the wake-up can explain a prompt reveal.
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", 3600.0)
    async with app.router.lifespan_context(app):
        running = ticker.running(app)
        assert running is not None
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            try:
                campaign = (await make_campaign(app)).campaign
                for code in await make_codes(app, campaign, 3):
                    response = await client.post(
                        "/api/v1/campaigns/walkout/pledges",
                        json={"invite_code": code, "name": "Someone"},
                    )
                    assert response.status_code == 201
                assert await _wait_for_state(campaign.id, CampaignState.REVEALED)
            finally:
                await Campaign.all().delete()
                await Organiser.all().delete()  # the campaign's owner
    # The lifespan stopped it.
    assert running._task is None
    assert running.runs >= 2


async def test_the_ticker_runs_on_its_interval(app, monkeypatch):
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", 0.05)
    async with app.router.lifespan_context(app):
        try:
            campaign = (await make_campaign(app, cooling_off_hours=0)).campaign
            # As if a process expired it and died before deleting its keys: nothing wakes
            # the ticker, only its interval can finish the job.
            await Campaign.filter(id=campaign.id).update(
                state=CampaignState.EXPIRED, keys_pending=True
            )
            for _ in range(100):
                if not (await Campaign.get(id=campaign.id)).keys_pending:
                    break
                await asyncio.sleep(0.05)
            assert not (await Campaign.get(id=campaign.id)).keys_pending
            assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
        finally:
            await Campaign.all().delete()
            await Organiser.all().delete()  # the campaign's owner
