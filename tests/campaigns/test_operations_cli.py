"""`organise campaign invites --batch / revoke / extend / stop / archive`, end to end."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.servers import LiveServer
from tests.support import PASSPHRASE

OWNER = "ops-owner"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("campaign-ops-cli")).start()
    for name in (OWNER, "ops-outsider"):
        passphrase_file = live.instance_dir.parent / f"{name}.passphrase"
        passphrase_file.write_text(PASSPHRASE + "\n")
        made = live.run_cli(
            "organiser",
            "create",
            name,
            "--role",
            "organiser",
            "--passphrase-file",
            str(passphrase_file),
        )
        assert made.returncode == 0, made.stderr
    yield live
    live.stop()


def _when(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="minutes")


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return str(result.stdout)


def _sign(server: LiveServer, code: str) -> int:
    answer = httpx.post(
        f"{server.url}/api/v1/campaigns/ops/pledges",
        json={"invite_code": code, "name": "Rosa"},
        timeout=30,
    )
    return answer.status_code


def test_batches_revoke_extend_stop_and_archive_from_the_command_line(server):
    _ok(
        server.run_cli(
            "campaign",
            "create",
            "--slug",
            "ops",
            "--title",
            "Ops",
            "--demand",
            "We refuse.",
            "--threshold",
            "5",
            "--deadline",
            _when(10),
            "--owner",
            OWNER,
        )
    )
    batch = _ok(
        server.run_cli(
            "campaign",
            "invites",
            "ops",
            "--count",
            "2",
            "--batch",
            "Lobby",
            "--organiser",
            OWNER,
        )
    ).split()
    [loose] = _ok(
        server.run_cli("campaign", "invites", "ops", "--count", "1", "--organiser", OWNER)
    ).split()
    assert _sign(server, batch[0]) == 201

    # Somebody off the team is refused, and nothing changes.
    outsider = server.run_cli(
        "campaign", "revoke", "ops", "--batch", "Lobby", "--organiser", "ops-outsider"
    )
    assert outsider.returncode != 0
    assert "not on the team" in outsider.stderr
    _ok(server.run_cli("campaign", "revoke", "ops", "--batch", "Lobby", "--organiser", OWNER))
    assert _sign(server, batch[1]) == 403
    _ok(server.run_cli("campaign", "revoke", "ops", "--code", loose, "--organiser", OWNER))
    assert _sign(server, loose) == 403

    soon = server.run_cli(
        "campaign", "extend", "ops", "--deadline", _when(0.5), "--organiser", OWNER
    )
    assert soon.returncode != 0
    assert "at least 24 hours" in soon.stderr
    moved = json.loads(
        _ok(
            server.run_cli(
                "campaign", "extend", "ops", "--deadline", _when(40), "--organiser", OWNER
            )
        )
    )
    assert moved["deadline_moved_from"] is not None

    unconfirmed = server.run_cli("campaign", "stop", "ops", "--organiser", OWNER)
    assert unconfirmed.returncode != 0
    assert "--yes" in unconfirmed.stderr
    early = server.run_cli("campaign", "archive", "ops", "--organiser", OWNER)
    assert early.returncode != 0
    assert "finished" in early.stderr
    stopped = json.loads(
        _ok(server.run_cli("campaign", "stop", "ops", "--yes", "--organiser", OWNER))
    )
    assert (stopped["state"], stopped["destroyed_unread"]) == ("expired", 1)
    _ok(server.run_cli("campaign", "archive", "ops", "--organiser", OWNER))
    shown = json.loads(_ok(server.run_cli("campaign", "show", "ops")))
    assert (shown["stopped"], shown["archived"]) == (True, True)
    public = httpx.get(f"{server.url}/campaigns/ops", timeout=30).text
    assert "stopped by its organisers" in public
