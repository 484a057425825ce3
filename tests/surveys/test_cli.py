"""The acceptance drill through the command line and the API, against a real server process."""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.servers import LiveServer, running
from tests.surveys.conftest import CANARY, survey_file

OWNER = "survey-owner"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running(live := LiveServer(tmp_path_factory.mktemp("survey-cli"))):
        live.create_organiser(OWNER, "organiser")
        yield live


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _write(server: LiveServer, name: str, data: dict) -> Path:
    path = server.root / name
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _all_bytes_under(directory: Path) -> bytes:
    return b"".join(path.read_bytes() for path in directory.rglob("*") if path.is_file())


def test_create_lists_every_problem_of_a_bad_definition(server):
    bad = survey_file(
        slug="-bad-",
        k=1,
        closes_at="soon",
        questions=[
            {"id": "a", "type": "choice", "text": "?", "options": ["x", "x"]},
            {"id": "a", "type": "scale", "text": "?", "min": 5, "max": 1},
            {"id": "c", "type": "text", "text": "?", "max_length": 0, "crosstab": True},
        ],
    )
    result = server.run_cli(
        "survey", "create", "--owner", OWNER, "--file", str(_write(server, "bad.json", bad))
    )
    assert result.returncode != 0
    for place in (
        "slug",
        "k",
        "closes_at",
        "questions[0].options[1]",
        "questions[1].id",
        "questions[1].max",
        "questions[2].max_length",
        "questions[2].crosstab",
    ):
        assert f"{place}:" in result.stderr, place
    not_json = server.root / "broken.json"
    not_json.write_text("{", encoding="utf-8")
    broken = server.run_cli("survey", "create", "--owner", OWNER, "--file", str(not_json))
    assert broken.returncode != 0
    assert "not valid JSON" in broken.stderr


def test_the_drill_create_invite_answer_change_withdraw_close(server):
    path = _write(server, "drill.json", survey_file(slug="drill"))
    assert json.loads(
        _ok(server.run_cli("survey", "create", "--owner", OWNER, "--file", str(path)))
    ) == {"slug": "drill"}
    again = server.run_cli("survey", "create", "--owner", OWNER, "--file", str(path))
    assert again.returncode != 0
    codes = _ok(server.run_cli("survey", "invites", "drill", "--count", "12")).split()
    assert len(codes) == 12
    answers = [
        {"unit": "Infra", "ready": 5, "act_if": 3, "why": f"{CANARY} alpha"},
        {"unit": "Infra", "ready": 5, "act_if": 3, "why": f"{CANARY} beta"},
        {"unit": "Infra", "ready": 4, "act_if": 5, "why": f"{CANARY} gamma"},
        {"unit": "Infra", "ready": 5, "act_if": 3},
        {"unit": "Ads", "ready": 1, "act_if": 10, "why": f"{CANARY} withdrawn"},
    ]
    # Six more, so that some cells are large enough to show at k = 3.
    more = [{"unit": "Ads", "ready": 2, "act_if": 10, "issues": ["ethics"]}] * 3 + [
        {"unit": "Infra", "ready": 5, "act_if": 3, "issues": ["pay"]}
    ] * 3
    receipts = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for code, answer in zip(codes, [*answers, *more], strict=False):
            response = http.post(
                "/api/v1/surveys/drill/responses", json={"invite_code": code, "answers": answer}
            )
            assert response.status_code == 201, response.text
            receipts.append(response.json()["receipt"])
        reused = http.post(
            "/api/v1/surveys/drill/responses", json={"invite_code": codes[0], "answers": answers[0]}
        )
        assert reused.status_code == 403
        changed = http.post(
            "/api/v1/surveys/responses/change",
            json={"receipt": receipts[3], "answers": {"unit": "Infra", "ready": 4, "act_if": 3}},
        )
        assert changed.status_code == 200
        withdrawn = http.post("/api/v1/surveys/responses/withdraw", json={"receipt": receipts[4]})
        assert withdrawn.status_code == 200
        status = http.post("/api/v1/surveys/responses/status", json={"receipt": receipts[0]})
        assert status.json() == {"survey": "drill", "status": "counted", "state": "open"}
    # Before the close: no text, no canary, in any file of the instance.
    assert CANARY.encode() not in _all_bytes_under(server.instance_dir)
    early = server.run_cli(
        "survey", "answers", "drill", "--organiser", OWNER,
        "--passphrase-file", str(server.passphrase_file(OWNER)),
    )  # fmt: skip
    assert early.returncode != 0
    assert "still open" in early.stderr
    assert server.run_cli("survey", "results", "drill").returncode != 0
    _ok(server.run_cli("survey", "close", "drill"))
    results = json.loads(_ok(server.run_cli("survey", "results", "drill", "--format", "json")))
    assert results["responses"] == 10
    counts = {q["id"]: q for q in results["questions"]}
    # The withdrawn answer is gone: three in Ads, not four.
    assert counts["unit"]["counts"] == {"Infra": 7, "Ads": 3}
    # "Would act if 5 did": the six who said 3 (one of them after a change) and the one who
    # said 5; the steps beside it would give a count under k away, and are hidden.
    assert counts["act_if"]["cumulative"] == {"3": None, "5": 7, "10": None}
    for question in counts.values():
        for count in question["counts"].values():
            assert count is None or count == 0 or count >= 3
    csv_text = _ok(server.run_cli("survey", "results", "drill", "--format", "csv"))
    assert csv_text.startswith("table,unit,unit_option,question,option,label,count")
    texts = _ok(
        server.run_cli(
            "survey",
            "answers",
            "drill",
            "--organiser",
            OWNER,
            "--passphrase-file",
            str(server.passphrase_file(OWNER)),
        )
    )
    written = sorted(json.loads(line)["text"] for line in texts.splitlines())
    assert written == [f"{CANARY} alpha", f"{CANARY} beta", f"{CANARY} gamma"]
    with httpx.Client(base_url=server.url, timeout=30) as http:
        status = http.post("/api/v1/surveys/responses/status", json={"receipt": receipts[0]})
        assert status.json()["results"]["responses"] == 10
        assert "alpha" not in status.text
        gone = http.post("/api/v1/surveys/responses/status", json={"receipt": receipts[4]})
        assert gone.status_code == 404
    report = json.loads(_ok(server.run_cli("survey", "tick")))
    assert report["errors"] == 0


def test_organise_tick_closes_a_survey_at_its_time_and_ends_the_retention(tmp_path):
    # No server: only `organise tick` (as cron runs it) can close the survey here.
    operator = LiveServer(tmp_path)
    operator.create_organiser(OWNER, "organiser")
    closes = datetime.now(UTC) + timedelta(seconds=12)
    path = _write(operator, "soon.json", survey_file(slug="soon", closes_at=closes.isoformat()))
    _ok(operator.run_cli("survey", "create", "--owner", OWNER, "--file", str(path)))
    assert operator.run_cli("survey", "results", "soon").returncode != 0
    time.sleep(max(0.0, (closes - datetime.now(UTC)).total_seconds()) + 0.5)
    report = json.loads(_ok(operator.run_cli("tick")))
    assert report["surveys"] == report["surveys"] | {"released": 1, "errors": 0}
    assert report["errors"] == 0  # the campaigns' jobs ran beside
    results = json.loads(_ok(operator.run_cli("survey", "results", "soon", "--format", "json")))
    assert results["responses"] is None  # no answer: too few to show
    again = json.loads(_ok(operator.run_cli("tick")))
    assert again["surveys"]["released"] == 0
    # The retention ends (its day moved into the past, as if the days had gone by).
    with sqlite3.connect(operator.instance_dir / "organise.sqlite3") as db:
        db.execute("UPDATE survey SET texts_until = '2000-01-03' WHERE slug = 'soon'")
    ended = json.loads(_ok(operator.run_cli("tick")))
    assert ended["surveys"] == ended["surveys"] | {"texts_destroyed": 1, "errors": 0}
    with sqlite3.connect(operator.instance_dir / "organise.sqlite3") as db:
        assert db.execute("SELECT texts_destroyed FROM survey").fetchall() == [(1,)]


def test_the_operator_assigns_an_owner_to_a_survey_nobody_on_its_team_can_receive(server):
    server.create_organiser("survey-leaver", "organiser")
    server.create_organiser("survey-heir", "organiser")
    path = _write(server, "orphan.json", survey_file(slug="orphan"))
    _ok(server.run_cli("survey", "create", "--owner", "survey-leaver", "--file", str(path)))
    taken = server.run_cli("survey", "team", "owner", "orphan", "survey-heir")
    assert taken.returncode != 0
    assert "its owner changes the team" in taken.stderr
    # Its only member cannot receive the text answers any more (an account from before enrolment).
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        db.execute("UPDATE organiser SET enrolled = 0 WHERE username = 'survey-leaver'")
    assigned = json.loads(_ok(server.run_cli("survey", "team", "owner", "orphan", "survey-heir")))
    assert assigned == {"slug": "orphan", "owner": "survey-heir"}
    audit = _ok(server.run_cli("organiser", "audit"))
    assert "owner_assigned" in audit
    assert "survey orphan" in audit
    again = server.run_cli("survey", "team", "owner", "orphan", OWNER)
    assert again.returncode != 0
    assert "its owner changes the team" in again.stderr
    # The new owner runs the team as any owner does.
    _ok(server.run_cli("survey", "team", "add", "orphan", OWNER))
