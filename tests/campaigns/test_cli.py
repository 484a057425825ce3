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


def test_create_with_gatekeeper_accounts_prints_names_and_fingerprints_not_shares(server):
    codes = {}
    for name in ("gk-ana", "gk-bo", "gk-cy"):
        made = _ok(server.run_cli("organiser", "create", name, "--role", "gatekeeper"))
        codes[name] = next(line.strip() for line in made.splitlines() if line.startswith("    "))
    # Not enrolled yet: refused, nothing created.
    refused = _create(
        server, "keepers", "K", "x", "5", "--gatekeepers", "2/3",
        "--gatekeeper-accounts", "gk-ana,gk-bo,gk-cy",
    )  # fmt: skip
    assert refused.returncode != 0
    assert "has not enrolled yet" in refused.stderr
    with httpx.Client(base_url=server.url, timeout=60) as web:
        for name, code in codes.items():
            enrolled = web.post(
                "/organisers/enrol",
                data={"code": code, "username": name, "passphrase": PASSPHRASE,
                      "repeated": PASSPHRASE},
                headers={"Sec-Fetch-Site": "same-origin"},
            )  # fmt: skip
            assert enrolled.status_code == 200
    created = json.loads(_ok(_create(
        server, "keepers", "K", "x", "5", "--gatekeepers", "2/3",
        "--gatekeeper-accounts", "gk-ana,gk-bo,gk-cy",
    )))  # fmt: skip
    assert "gatekeeper_shares" not in created
    holders = created["gatekeeper_accounts"]
    assert [h["account"] for h in holders] == ["gk-ana", "gk-bo", "gk-cy"]
    shown = _ok(server.run_cli("organiser", "show", "gk-bo"))
    assert f"key fingerprint: {holders[1]['fingerprint']}" in shown


def test_create_with_share_links_prints_links_not_shares(server):
    created = json.loads(
        _ok(_create(server, "linked", "L", "x", "5", "--gatekeepers", "2/3", "--share-links"))
    )
    assert "gatekeeper_shares" not in created
    links = created["share_links"]
    assert len(links) == 3
    with httpx.Client(base_url=server.url, timeout=60) as web:
        assert "Show my share" in web.get(links[0]).text
