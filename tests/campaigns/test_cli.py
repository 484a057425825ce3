"""The command line, end to end against a real server process (its own SQLite instance)."""

from __future__ import annotations

import csv
import io
import json
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from tests.servers import LiveServer, deadline_in, running
from tests.support import PASSPHRASE

OWNER = "cli-owner"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with running(live := LiveServer(tmp_path_factory.mktemp("campaign-cli"))):
        # The owner the campaigns below get unless a test names another.
        live.create_organiser(OWNER, "organiser")
        yield live


def _create(server, slug, title, demand, threshold, *extra, deadline=None, owner=OWNER):
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
        deadline or deadline_in(30),
        *(("--owner", owner) if owner else ()),
        *extra,
    )


def _ok(result) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _pledge(server, slug: str, codes: list[str], names: tuple[str, ...]) -> None:
    """Each name signs the campaign with one of the codes, through the JSON API."""
    for code, name in zip(codes, names, strict=True):
        response = httpx.post(
            f"{server.url}/api/v1/campaigns/{slug}/pledges",
            json={"invite_code": code, "name": name},
            timeout=30,
        )
        assert response.status_code == 201, response.text


def _reveal(slug: str, organiser: str, passphrase_file: Path) -> tuple[str, ...]:
    """The `organise campaign reveal` command line for `organiser`."""
    return (
        "campaign", "reveal", slug, "--organiser", organiser,
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip


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
    lines = server.invite_codes("codes", 7, OWNER)
    assert len(lines) == 7
    assert all(len(line) == 34 for line in lines)
    assert len(set(lines)) == 7


def test_tick_prints_what_it_did(server):
    report = json.loads(_ok(server.run_cli("tick")))
    assert set(report) >= {"expired", "revealed", "awaiting_gate", "shredded", "errors"}
    assert report["errors"] == 0


def test_gatekeepers_shares_and_reveal_from_the_command_line(server, tmp_path):
    passphrase_file = server.create_organiser("cli-organiser", "organiser")
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
                owner="cli-organiser",
            )
        )
    )
    shares = created["gatekeeper_shares"]
    assert len(shares) == 3
    assert all(len(share.split()) == 33 for share in shares)
    codes = server.invite_codes("gated", 3, "cli-organiser")

    reveal = _reveal("gated", "cli-organiser", passphrase_file)
    early = server.run_cli(*reveal)
    assert early.returncode != 0
    assert "has not been revealed" in early.stderr
    assert early.stdout == ""

    _pledge(server, "gated", codes, ("Ada", "Grace", "Katherine"))
    _ok(server.run_cli("tick"))
    shown = json.loads(_ok(server.run_cli("campaign", "show", "gated")))
    assert shown["state"] == "awaiting_gate"

    words = shares[0].split()
    words[3] = "academic" if words[3] != "academic" else "acid"
    mistyped = server.run_cli("campaign", "share", "gated", input_text=" ".join(words))
    assert mistyped.returncode != 0
    assert "checksum error" in mistyped.stderr

    first = _ok(server.run_cli("campaign", "share", "gated", input_text=shares[0] + "\n"))
    assert "Your share was accepted. 1 more gatekeeper shares are needed." in first
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
    refused = server.run_cli(*_reveal("gated", "cli-organiser", wrong))
    assert refused.returncode != 0
    assert "Wrong passphrase" in refused.stderr


def test_a_damaged_release_writes_no_csv(server, tmp_path):
    passphrase_file = server.create_organiser("damage-organiser", "organiser")
    _ok(
        _create(
            server,
            "damaged",
            "Damaged",
            "We refuse.",
            "2",
            "--cooling-off",
            "0",
            owner="damage-organiser",
        )
    )
    _pledge(
        server, "damaged", server.invite_codes("damaged", 2, "damage-organiser"), ("Ada", "Grace")
    )
    _ok(server.run_cli("tick"))
    reveal = _reveal("damaged", "damage-organiser", passphrase_file)
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


def test_create_refuses_a_missing_unknown_or_unfit_owner(server):
    missing = _create(server, "ownerless", "Ownerless", "x", "5", owner=None)
    assert missing.returncode != 0
    assert "Missing option '--owner'" in missing.stderr
    unknown = _create(server, "ownerless", "Ownerless", "x", "5", owner="ghost")
    assert unknown.returncode != 0
    assert "There is no account ghost" in unknown.stderr
    server.create_organiser("cli-reviewer", "reviewer")
    reviewer = _create(server, "ownerless", "Ownerless", "x", "5", owner="cli-reviewer")
    assert reviewer.returncode != 0
    assert "not an organiser or admin account" in reviewer.stderr
    # Nothing was created by any of them.
    shown = server.run_cli("campaign", "show", "ownerless")
    assert shown.returncode != 0
    assert "There is no campaign ownerless" in shown.stderr


def test_a_non_team_admin_cannot_mint_codes_or_read_the_reveal(server):
    server.create_organiser("cli-admin", "admin")
    server.create_organiser("cli-mate", "organiser")
    _ok(_create(server, "teamed", "Teamed", "We refuse.", "2", "--cooling-off", "0"))
    shown = json.loads(_ok(server.run_cli("campaign", "show", "teamed")))
    assert shown["owner"] == OWNER
    assert shown["co_organisers"] == []

    minted = server.run_cli(
        "campaign", "invites", "teamed", "--count", "2", "--organiser", "cli-admin"
    )
    assert minted.returncode != 0
    assert "cli-admin is not on the team of the campaign teamed" in minted.stderr
    assert minted.stdout == ""
    _pledge(server, "teamed", server.invite_codes("teamed", 2, OWNER), ("Ada", "Grace"))
    _ok(server.run_cli("tick"))

    def reveal(name: str):
        return server.run_cli(*_reveal("teamed", name, server.passphrase_file(name)))

    refused = reveal("cli-admin")
    assert refused.returncode != 0
    assert "not on the team" in refused.stderr
    assert "Ada" not in refused.stdout
    assert "Ada" in _ok(reveal(OWNER))
    # Joining after the reveal opens nothing that was sealed before.
    _ok(server.run_cli("campaign", "team", "add", "teamed", "cli-mate"))
    late = reveal("cli-mate")
    assert late.returncode != 0
    assert "this account was not on it" in late.stderr
    _ok(server.run_cli("campaign", "team", "remove", "teamed", "cli-mate"))
    assert json.loads(_ok(server.run_cli("campaign", "show", "teamed")))["co_organisers"] == []


def test_an_admin_assigns_an_owner_to_a_campaign_nobody_can_receive(server):
    server.create_organiser("cli-leaver")
    server.create_organiser("cli-heir")
    _ok(_create(server, "orphan", "Orphan", "We refuse.", "5", owner="cli-leaver"))
    # Its only member cannot receive pledges any more (an account from before enrolment).
    with sqlite3.connect(server.instance_dir / "organise.sqlite3") as db:
        db.execute("UPDATE organiser SET enrolled = 0 WHERE username = 'cli-leaver'")
    shown = json.loads(_ok(server.run_cli("campaign", "show", "orphan")))
    assert "it will not reveal" in shown["owner_note"]
    sneaked = server.run_cli("campaign", "team", "add", "orphan", "cli-heir")
    assert sneaked.returncode != 0
    assert "An administrator assigns a new owner" in sneaked.stderr

    assigned = json.loads(_ok(server.run_cli("campaign", "team", "owner", "orphan", "cli-heir")))
    assert assigned["owner"] == "cli-heir"
    not_before = datetime.fromisoformat(assigned["reveal_not_before"])
    assert (not_before.minute, not_before.second) == (0, 0)
    assert not_before >= datetime.now(UTC) + timedelta(hours=47)  # the 48-hour cooling-off
    shown = json.loads(_ok(server.run_cli("campaign", "show", "orphan")))
    assert shown["owner"] == "cli-heir"
    assert "owner_note" not in shown
    page = httpx.get(f"{server.url}/campaigns/orphan", timeout=30).text
    assert "An administrator assigned a new owner" in page
    again = server.run_cli("campaign", "team", "owner", "orphan", "cli-owner")
    assert again.returncode != 0
    assert "its owner changes the team" in again.stderr


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


def test_show_after_a_crossing_gives_whole_hours_and_weeks(server):
    _ok(_create(server, "hours", "Hours", "We refuse.", "2", "--keep-revealed", "5"))
    _pledge(server, "hours", server.invite_codes("hours", 2, OWNER), ("Ada", "Grace"))
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
    reveal = _reveal("hours", OWNER, server.passphrase_file(OWNER))
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


def test_create_takes_translations_from_a_file_and_refuses_a_wrong_one(server, tmp_path):
    words = tmp_path / "translations.json"
    words.write_text(
        json.dumps({"fr": {"title": "Refus", "demand": "Nous refusons."}}), encoding="utf-8"
    )
    _ok(_create(server, "translated", "Refusal", "We refuse.", "5", "--translations", str(words)))
    french = httpx.get(f"{server.url}/fr/campaigns/translated", timeout=30)
    assert "<h1>Refus</h1>" in french.text
    assert "Nous refusons." in french.text
    assert httpx.get(f"{server.url}/api/v1/campaigns/translated", timeout=30).json()[
        "translations"
    ] == {"fr": {"title": "Refus", "demand": "Nous refusons."}}
    half = tmp_path / "half.json"
    half.write_text(json.dumps({"fr": {"title": "Refus"}}), encoding="utf-8")
    refused = _create(server, "half", "Half", "x", "5", "--translations", str(half))
    assert refused.returncode != 0
    assert "translations.fr.demand" in refused.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    refused = _create(server, "broken", "Broken", "x", "5", "--translations", str(broken))
    assert refused.returncode != 0
    assert "not valid JSON" in refused.stderr
