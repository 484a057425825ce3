"""Helpers for survey tests: surveys made through the real service, answers through the API.

The in-server ticker is off here: tests close surveys themselves (`release.release`,
`lifecycle.tick` with a chosen `now`).
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from organise.campaigns import ticker
from organise.surveys import definition, invites, setup
from organise.surveys.models import Survey
from tests.support import campaign_owner

CANARY = "canary-7f3a9e-kumquat"


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


def in_days(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


QUESTIONS: list[dict[str, Any]] = [
    {
        "id": "unit",
        "type": "choice",
        "text": "Where do you work?",
        "options": ["Infra", "Ads"],
        "crosstab": True,
        "required": True,
    },
    {"id": "issues", "type": "multi", "text": "What matters?", "options": ["pay", "ethics", "ice"]},
    {"id": "ready", "type": "scale", "text": "How ready are you?", "min": 1, "max": 5},
    {
        "id": "act_if",
        "type": "threshold",
        "text": "I would refuse if at least N did",
        "options": [3, 5, 10],
    },
    {"id": "why", "type": "text", "text": "Anything else?", "max_length": 300},
]


def survey_file(**overrides: Any) -> dict[str, Any]:
    """A definition as an organiser writes it; `overrides` change or add fields."""
    data: dict[str, Any] = {
        "slug": "cloud-2027",
        "title": "The cloud contract",
        "intro": "Tell us what you know.\n\nNobody sees one answer alone.",
        "closes_at": in_days(14).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "k": 3,
        "invite_mode": "invite",
        "onward_invites": 0,
        "invite_depth": 1,
        "questions": copy.deepcopy(QUESTIONS),
    }
    data.update(overrides)
    return data


async def make_survey(app: Starlette, owner: str = "alex", **overrides: Any) -> Survey:
    await campaign_owner(owner)
    return await setup.create_survey(
        definition.check(survey_file(**overrides)),
        owner_username=owner,
        keystore=app.state.runtime.keystore,
    )


async def codes_for(app: Starlette, survey: Survey, count: int = 1) -> list[str]:
    return await invites.generate(survey, count, pepper=app.state.runtime.code_pepper)


async def answer(
    client: httpx.AsyncClient, slug: str, answers: dict[str, Any], code: str | None = None
) -> httpx.Response:
    body: dict[str, Any] = {"answers": answers}
    if code is not None:
        body["invite_code"] = code
    return await client.post(f"/api/v1/surveys/{slug}/responses", json=body)


async def answered(
    app: Starlette, client: httpx.AsyncClient, survey: Survey, answers: dict[str, Any]
) -> str:
    """Answer with a fresh code; the receipt."""
    (code,) = await codes_for(app, survey)
    response = await answer(client, survey.slug, answers, code)
    assert response.status_code == 201, response.text
    return str(response.json()["receipt"])
