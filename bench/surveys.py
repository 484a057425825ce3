"""The survey figures: answering against a bare insert, the release against opening in memory,
and the released results served to the team.

- Answering: `POST /api/v1/surveys/<slug>/responses` on an invite-only survey, each request with
  its own invite code and a typical answer (choices and a text); the baseline is
  bench/baseline_app.py's bare insert on the same database, measured in the same run.
- Release: N responses sealed as answering seals them (`sealing.seal_response`) and stored;
  then `organise survey close` in a child process (read, open, count, store the tables, seal the
  texts for the team), timed and memory-measured, against opening the same N sealed responses
  (their choices and their texts) in memory in a tight loop.
- Results: `GET /api/v1/organiser/surveys/<slug>/results` with an API token, one request at a
  time, p50/p99 latency.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise import Tortoise

from bench.harness import (
    WARMUP,
    Row,
    Workspace,
    app_server,
    baseline_server,
    check_all_succeeded,
    load,
)
from crypto import codes
from organise.db import tortoise_config
from organise.runtime import open_runtime
from organise.settings import Settings
from organise.surveys import answering, keys
from organise.surveys.models import Survey, SurveyResponse
from organise.surveys.sealing import open_choices, open_texts, seal_response
from organise.weeks import this_week

OWNER = "benchsurveys"
PASSPHRASE = "benchmark orchard lantern velvet granite"  # noqa: S105 (scratch account)
INVITES_PER_COMMAND = 500
CHUNK = 2000
RESULT_REQUESTS = 200


def definition(slug: str) -> dict[str, Any]:
    return {
        "slug": slug,
        "title": "Benchmark survey",
        "intro": "What do you know about the contract?",
        "closes_at": (datetime.now(UTC) + timedelta(days=60)).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "k": 5,
        "invite_mode": "invite",
        "questions": [
            {
                "id": "unit",
                "type": "choice",
                "text": "Where?",
                "options": ["Infra", "Ads", "Cloud", "Data"],
                "crosstab": True,
            },
            {"id": "issues", "type": "multi", "text": "What?", "options": ["pay", "ethics", "ice"]},
            {"id": "ready", "type": "scale", "text": "Ready?", "min": 1, "max": 5},
            {"id": "act_if", "type": "threshold", "text": "If N did", "options": [5, 10, 25, 50]},
            {"id": "why", "type": "text", "text": "Why?", "max_length": 1000},
        ],
    }


def answer(number: int) -> dict[str, Any]:
    return {
        "unit": ("Infra", "Ads", "Cloud", "Data")[number % 4],
        "issues": [("pay", "ethics", "ice")[number % 3]],
        "ready": 1 + number % 5,
        "act_if": (5, 10, 25, 50)[number % 4],
        "why": "I know the contract from the inside. " * 5,
    }


def create(space: Workspace, slug: str) -> None:
    space.organiser(OWNER, PASSPHRASE)
    path = space.root / f"{slug}.json"
    path.write_text(json.dumps(definition(slug)))
    space.cli("survey", "create", "--owner", OWNER, "--file", str(path))


def invite_codes(space: Workspace, slug: str, count: int) -> list[str]:
    found: list[str] = []
    while len(found) < count:
        batch = min(INVITES_PER_COMMAND, count - len(found))
        out = space.cli("survey", "invites", slug, "--count", str(batch))
        found += [line.strip() for line in out.splitlines() if line.strip()]
    return found


def figure_survey_answers(space: Workspace, n: int, c: int) -> dict[str, Any]:
    out: dict[str, Any] = {}
    create(space, "bench")
    bodies = [
        {
            "path": "/api/v1/surveys/bench/responses",
            "json": {"invite_code": code, "answers": answer(number)},
        }
        for number, code in enumerate(invite_codes(space, "bench", n + WARMUP))
    ]
    with app_server(space) as url:
        load(url, bodies[:WARMUP], c, space.root)
        out["survey_answers"] = load(url, bodies[WARMUP:], c, space.root)
        check_all_succeeded("survey answers", out["survey_answers"])
    with baseline_server(space) as url:
        blob = [{"path": "/blob"}] * (WARMUP + n)
        load(url, blob[:WARMUP], c, space.root)
        out["survey_baseline"] = load(url, blob[WARMUP:], c, space.root)
        check_all_succeeded("baseline", out["survey_baseline"])
    out["survey_answer_ratio"] = (
        out["survey_answers"]["throughput"] / out["survey_baseline"]["throughput"]
    )
    return out


async def _build(space: Workspace, slug: str, count: int) -> float:
    """N sealed responses stored; the seconds opening them (choices and texts) in memory takes."""
    runtime = open_runtime(Settings.from_environ(space.env()))
    await Tortoise.init(config=tortoise_config(runtime.settings))
    try:
        survey = await Survey.get(slug=slug)
        questions = answering.questions(survey)
        pepper = runtime.code_pepper
        held: list[tuple[bytes, bytes]] = []
        week = this_week()
        for start in range(0, count, CHUNK):
            rows = []
            for number in range(start, min(count, start + CHUNK)):
                choices, texts = seal_response(survey, questions, answer(number))
                held.append((choices, texts))
                rows.append(
                    SurveyResponse(
                        id=uuid.uuid4(),
                        survey_id=survey.id,
                        sealed_choices=choices,
                        sealed_texts=texts,
                        receipt_hash=answering.receipt_digest(codes.new_receipt(), pepper),
                        week=week,
                    )
                )
            await SurveyResponse.bulk_create(rows)
        private = runtime.keystore.get(keys.tally_key(survey.id))
        text_private = runtime.keystore.get(keys.text_key(survey.id))
        assert private is not None
        assert text_private is not None
        started = time.perf_counter()
        for choices, texts in held:
            open_choices(survey, questions, choices, private)
            open_texts(survey, questions, texts, text_private)
        return time.perf_counter() - started
    finally:
        await Tortoise.close_connections()
        runtime.close()


def figure_survey_release(space: Workspace, count: int) -> dict[str, Any]:
    space.cli("migrate")
    create(space, "release")
    open_seconds = asyncio.run(_build(space, "release", count))
    closed = space.measured_cli("survey", "close", "release")
    token = space.cli("token", "create", OWNER).strip().splitlines()[-1]
    request = {
        "path": "/api/v1/organiser/surveys/release/results",
        "method": "GET",
        "headers": {"Authorization": f"Bearer {token}"},
    }
    with app_server(space) as url:
        load(url, [request] * WARMUP, 1, space.root)
        served = load(url, [request] * RESULT_REQUESTS, 1, space.root)
        check_all_succeeded("survey results", served)
    return {
        "survey_release_responses": count,
        "survey_release_seconds": closed["seconds"],
        "survey_release_peak_mb": closed["peak_mb"],
        "survey_open_seconds": open_seconds,
        "survey_release_ratio": closed["seconds"] / open_seconds,
        "survey_results": served,
        "survey_release_note": "the close includes the process start and the texts sealed "
        "for the team",
    }


def rows(results: dict[str, Any]) -> list[Row]:
    found: list[Row] = []
    if "survey_answer_ratio" in results:
        found += [
            ("survey answers/s", f"{results['survey_answers']['throughput']:.0f}", ""),
            ("survey answer ratio", f"{results['survey_answer_ratio']:.2f}", ">= 0.5"),
        ]
    if "survey_release_ratio" in results:
        served = results["survey_results"]
        found += [
            ("survey release (s)", f"{results['survey_release_seconds']:.2f}", ""),
            ("survey open in memory (s)", f"{results['survey_open_seconds']:.2f}", ""),
            ("survey release ratio", f"{results['survey_release_ratio']:.2f}", "<= 1.5"),
            ("survey release peak memory (MB)", f"{results['survey_release_peak_mb']:.0f}", ""),
            (
                "survey results p50 / p99 (ms)",
                f"{served['p50_ms']:.1f} / {served['p99_ms']:.1f}",
                "< 100",
            ),
        ]
    return found
