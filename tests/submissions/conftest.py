"""Helpers for the submission-token tests: a worker form's address, and a clock to move."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from starlette.applications import Starlette

from organise.campaigns import ticker
from organise.submissions.models import Submission

RECEIPT = re.compile(r'<code class="secret" id="receipt">([a-z-]+)</code>')
REPORT_RECEIPT = re.compile(r'<code class="secret">([a-z]+(?:-[a-z]+){7})</code>')


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


async def form_address(client: httpx.AsyncClient, path: str) -> str:
    """The address of a worker form, with the token it was given when first shown."""
    first = await client.get(path)
    assert first.status_code == 303, first.text
    address = first.headers["location"]
    assert address.startswith(f"{path}?t=")
    page = await client.get(address)
    assert page.status_code == 200, page.text
    assert f'action="{address}"' in page.text
    return address


def set_clock(app: Starlette, now: datetime) -> None:
    """Make the app's runtime tell `now` (submission records use the runtime's clock)."""
    app.state.runtime = dataclasses.replace(app.state.runtime, clock=lambda: now)


def hours_from_now(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


async def records() -> int:
    return await Submission.all().count()
