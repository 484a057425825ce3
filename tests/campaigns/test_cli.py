"""The command line, end to end against a real server process (its own SQLite instance)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.servers import LiveServer
from tests.support import PASSPHRASE


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    live = LiveServer(tmp_path_factory.mktemp("campaign-cli")).start()
    yield live
    live.stop()


def _deadline(days: int = 30) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat(timespec="minutes")


def _create(server, slug, title, demand, threshold, *extra, deadline=None):
    """`organise campaign create` with the options every campaign needs, then `extra`."""
    return server.run_cli(
        "campaign",
        "create",
        "--slug",
        slug,
        "--title",
        title,
        "--demand",
        demand,
        "--threshold",
        threshold,
        "--deadline",
        deadline or _deadline(),
        *extra,
    )


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_create_prints_json(server):
    out = _ok(_create(server, "plain", "Plain", "We refuse.", "5"))
    created = json.loads(out)
    assert created["slug"] == "plain"
    assert created["state"] == "open"
    assert "gatekeeper_shares" not in created
    again = _create(server, "plain", "Plain", "We refuse.", "5")
    assert again.returncode != 0
    assert "already exists" in again.stderr
    bad = _create(server, "bad", "Bad", "x", "5", deadline="someday")
    assert bad.returncode != 0
    assert "ISO 8601" in bad.stderr


def test_invites_print_one_code_per_line(server):
    _ok(_create(server, "codes", "Codes", "x", "5"))
    lines = _ok(server.run_cli("campaign", "invites", "codes", "--count", "7")).splitlines()
    assert len(lines) == 7
    assert all(len(line) == 34 for line in lines)
    assert len(set(lines)) == 7


def test_tick_prints_what_it_did(server):
    report = json.loads(_ok(server.run_cli("tick")))
    assert set(report) >= {"expired", "revealed", "awaiting_gate", "shredded", "errors"}
    assert report["errors"] == 0


def test_gatekeepers_shares_and_reveal_from_the_command_line(server, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    _ok(
        server.run_cli(
            "organiser",
            "create",
            "cli-organiser",
            "--role",
            "organiser",
            "--passphrase-file",
            str(passphrase_file),
        )
    )
    created = json.loads(
        _ok(
            _create(
                server,
                "gated",
                "Gated",
                "We refuse.",
                "3",
                "--cooling-off",
                "0",
                "--gatekeepers",
                "2/3",
                "--server-required",
                "--audience",
                "cosigners",
            )
        )
    )
    shares = created["gatekeeper_shares"]
    assert len(shares) == 3
    assert all(len(share.split()) == 33 for share in shares)
    codes = _ok(server.run_cli("campaign", "invites", "gated", "--count", "3")).splitlines()

    reveal = (
        "campaign",
        "reveal",
        "gated",
        "--organiser",
        "cli-organiser",
        "--passphrase-file",
        str(passphrase_file),
    )
    early = server.run_cli(*reveal)
    assert early.returncode != 0
    assert "has not been revealed" in early.stderr
    assert early.stdout == ""

    for code, name in zip(codes, ("Ada", "Grace", "Katherine"), strict=True):
        response = httpx.post(
            f"{server.url}/api/v1/campaigns/gated/pledges",
            json={"invite_code": code, "name": name},
            timeout=30,
        )
        assert response.status_code == 201, response.text
    _ok(server.run_cli("tick"))
    shown = json.loads(_ok(server.run_cli("campaign", "show", "gated")))
    assert shown["state"] == "awaiting_gate"

    words = shares[0].split()
    words[3] = "academic" if words[3] != "academic" else "acid"
    mistyped = server.run_cli("campaign", "share", "gated", input_text=" ".join(words))
    assert mistyped.returncode != 0
    assert "checksum error" in mistyped.stderr

    first = _ok(server.run_cli("campaign", "share", "gated", input_text=shares[0] + "\n"))
    assert "Share accepted. 1 more gatekeeper share(s) needed." in first
    assert "has not been revealed" in server.run_cli(*reveal).stderr
    second = _ok(server.run_cli("campaign", "share", "gated", input_text=shares[2]))
    assert "the pledges have been revealed" in second

    out_file = tmp_path / "revealed.csv"
    _ok(server.run_cli(*reveal, "--out", str(out_file)))
    assert oct(out_file.stat().st_mode & 0o777) == "0o600"
    rows = list(csv.reader(io.StringIO(out_file.read_text())))
    assert sorted(row[0] for row in rows[1:]) == ["Ada", "Grace", "Katherine"]
    to_stdout = _ok(server.run_cli(*reveal))
    assert "Katherine" in to_stdout

    wrong = tmp_path / "wrong"
    wrong.write_text("not the passphrase at all\n")
    refused = server.run_cli(
        "campaign",
        "reveal",
        "gated",
        "--organiser",
        "cli-organiser",
        "--passphrase-file",
        str(wrong),
    )
    assert refused.returncode != 0
    assert "Wrong passphrase" in refused.stderr


def test_a_damaged_release_writes_no_csv(server, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    _ok(
        server.run_cli(
            "organiser",
            "create",
            "damage-organiser",
            "--role",
            "organiser",
            "--passphrase-file",
            str(passphrase_file),
        )
    )
    _ok(_create(server, "damaged", "Damaged", "We refuse.", "2", "--cooling-off", "0"))
    codes = _ok(server.run_cli("campaign", "invites", "damaged", "--count", "2")).splitlines()
    for code, name in zip(codes, ("Ada", "Grace"), strict=True):
        response = httpx.post(
            f"{server.url}/api/v1/campaigns/damaged/pledges",
            json={"invite_code": code, "name": name},
            timeout=30,
        )
        assert response.status_code == 201, response.text
    _ok(server.run_cli("tick"))
    reveal = (
        "campaign",
        "reveal",
        "damaged",
        "--organiser",
        "damage-organiser",
        "--passphrase-file",
        str(passphrase_file),
    )
    assert "Ada" in _ok(server.run_cli(*reveal))

    # Someone with write access to the database removes the (only, final) chunk.
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        deleted = db.execute(
            "DELETE FROM campaign_released_chunk WHERE campaign_id = "
            "(SELECT id FROM campaign WHERE slug = 'damaged')"
        ).rowcount
    assert deleted == 1
    out_file = tmp_path / "damaged.csv"
    refused = server.run_cli(*reveal, "--out", str(out_file))
    assert refused.returncode != 0
    assert "incomplete or have been altered" in refused.stderr
    assert not out_file.exists()


def test_create_refuses_a_chain_that_reaches_the_threshold(server):
    refused = _create(server, "chain", "Chain", "We refuse.", "6", "--onward-invites", "5")
    assert refused.returncode != 0
    assert "up to 6 pledges" in refused.stderr
    assert "threshold of 6" in refused.stderr
    assert "--accept-chain-risk" in refused.stderr
    too_deep = _create(server, "chain", "Chain", "We refuse.", "99", "--invite-depth", "4")
    assert too_deep.returncode != 0
    assert "Invite depth" in too_deep.stderr
    _ok(
        _create(
            server,
            "chain",
            "Chain",
            "We refuse.",
            "6",
            "--onward-invites",
            "5",
            "--accept-chain-risk",
        )
    )
    shown = json.loads(_ok(server.run_cli("campaign", "show", "chain")))
    assert (shown["invite_depth"], shown["invite_chain_bound"]) == (1, 6)
    assert "could force the reveal" in shown["invite_chain"]
    out = _ok(_create(server, "chain10", "Chain", "We refuse.", "10", "--onward-invites", "5"))
    assert "at most 6 pledges" in json.loads(out)["invite_chain"]
    shown = json.loads(_ok(server.run_cli("campaign", "show", "chain10")))
    assert "can add at most 6 pledges" in shown["invite_chain"]
    assert "only 4 real coworkers have signed" in shown["invite_chain"]


def test_show_after_a_crossing_gives_whole_hours_and_weeks(server, tmp_path):
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    _ok(
        server.run_cli(
            "organiser",
            "create",
            "hours-organiser",
            "--role",
            "organiser",
            "--passphrase-file",
            str(passphrase_file),
        )
    )
    _ok(_create(server, "hours", "Hours", "We refuse.", "2", "--keep-revealed", "5"))
    codes = _ok(server.run_cli("campaign", "invites", "hours", "--count", "2")).splitlines()
    for code, name in zip(codes, ("Ada", "Grace"), strict=True):
        response = httpx.post(
            f"{server.url}/api/v1/campaigns/hours/pledges",
            json={"invite_code": code, "name": name},
            timeout=30,
        )
        assert response.status_code == 201, response.text
    shown = json.loads(_ok(server.run_cli("campaign", "show", "hours")))
    assert shown["state"] == "cooling_off"
    ends = datetime.fromisoformat(shown["cooling_off_ends_at"])
    assert (ends.minute, ends.second, ends.microsecond) == (0, 0, 0)
    assert ends >= datetime.now(UTC) + timedelta(hours=48) - timedelta(minutes=1)
    reached = [e for e in shown["events"] if e["kind"] == "threshold_reached"]
    assert len(reached) == 1
    assert datetime.fromisoformat(reached[0]["week"]).weekday() == 0  # a Monday: the week
    assert "T" not in reached[0]["week"]  # no time of day
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        raw = db.execute(
            "SELECT at FROM campaign_event WHERE kind = 'threshold_reached' AND campaign_id = "
            "(SELECT id FROM campaign WHERE slug = 'hours')"
        ).fetchone()[0]
    assert datetime.fromisoformat(raw).time() == datetime.min.time()

    # As if the cooling-off, and then the retention, had passed.
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        db.execute(
            "UPDATE campaign SET cooling_off_ends_at = ? WHERE slug = 'hours'",
            ((datetime.now(UTC) - timedelta(hours=1)).isoformat(" "),),
        )
    _ok(server.run_cli("tick"))
    reveal = (
        "campaign",
        "reveal",
        "hours",
        "--organiser",
        "hours-organiser",
        "--passphrase-file",
        str(passphrase_file),
    )
    assert "Grace" in _ok(server.run_cli(*reveal))
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        db.execute(
            "UPDATE campaign SET revealed_at = ? WHERE slug = 'hours'",
            ((datetime.now(UTC) - timedelta(days=5, hours=1)).isoformat(" "),),
        )
    assert json.loads(_ok(server.run_cli("tick")))["releases_destroyed"] == 1
    refused = server.run_cli(*reveal)
    assert refused.returncode != 0
    assert "destroyed at the end of its retention period" in refused.stderr
    shown = json.loads(_ok(server.run_cli("campaign", "show", "hours")))
    assert shown["release_destroyed"] is True
    assert shown["revealed_at"] is None
