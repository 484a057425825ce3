"""Two app hosts on one PostgreSQL database and one shared keystore database.

Each host has its own instance directory and its own key-encryption key directory (as two
machines would); they share the database, the keystore database, ORGANISE_SECRET_KEY and the
keys the secret manager places. Pledges signed on one host are counted, withdrawn, revealed and
read through the other; the threshold is crossed exactly once; and a rotation in the middle,
run from one host while both serve, moves every key to the new epoch and destroys the old
key-encryption key on both.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import secrets
import time
from pathlib import Path

import httpx
import pytest

from crypto import epochwrap
from crypto.errors import KeystoreError
from tests.conftest import (
    POSTGRES_URL,
    RACE_MARKS,
    connect_postgres,
    drop_keystore_database,
    fresh_keystore_database,
    truncate_postgres,
)
from tests.keystore import backups
from tests.keystore.conftest import place_kek
from tests.reliability import drill
from tests.servers import LiveServer
from tests.support import PASSPHRASE

pytestmark = [*RACE_MARKS, pytest.mark.timeout(600)]

SLUG = "two-hosts"
THRESHOLD = 4


async def _threshold_events() -> int:
    connection = await connect_postgres()
    try:
        return await connection.fetchval(
            "SELECT count(*) FROM campaign_event e JOIN campaign c ON c.id = e.campaign_id"
            " WHERE c.slug = $1 AND e.kind = 'threshold_reached'",
            SLUG,
        )
    finally:
        await connection.close()


async def _sign_at_once(urls: list[str], codes: list[str], prefix: str) -> dict[str, str]:
    """Every code signed at the same moment, alternating hosts: name -> receipt."""
    async with httpx.AsyncClient(timeout=120) as http:

        async def one(number: int) -> tuple[str, str]:
            name = f"{prefix}{number:02d}"
            response = await http.post(
                f"{urls[number % 2]}/api/v1/campaigns/{SLUG}/pledges",
                json={"invite_code": codes[number], "name": name},
            )
            assert response.status_code == 201, response.text
            return name, response.json()["receipt"]

        return dict(await asyncio.gather(*(one(n) for n in range(len(codes)))))


def _entry_names(url: str) -> set[str]:
    async def names() -> set[str]:
        connection = await connect_postgres(url)
        try:
            return {
                row["name"] for row in await connection.fetch("SELECT name FROM keystore_entry")
            }
        finally:
            await connection.close()

    return asyncio.run(names())


def _restored(url: str, backup: bytes) -> dict[str, tuple[int, bytes]]:
    """The backup restored into a database of its own beside the live one: its entries."""

    async def entries(copy_url: str) -> dict[str, tuple[int, bytes]]:
        connection = await connect_postgres(copy_url)
        try:
            rows = await connection.fetch("SELECT name, epoch, wrapped FROM keystore_entry")
            return {row["name"]: (row["epoch"], bytes(row["wrapped"])) for row in rows}
        finally:
            await connection.close()

    with backups.restored(url, backup) as copy_url:
        return asyncio.run(entries(copy_url))


def _environments(*servers: LiveServer) -> list[bytes]:
    """What each server process (and its children) holds as its environment."""
    found = []
    for server in servers:
        assert server.process is not None
        pids = [server.process.pid]
        children = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
        if children.exists():
            pids += [int(pid) for pid in children.read_text().split()]
        found += [Path(f"/proc/{pid}/environ").read_bytes() for pid in pids]
    return found


def _wait_for(check, seconds: float = 60) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return check()


def test_two_hosts_share_one_keystore_through_a_rotation(tmp_path, database_url):
    keystore_url = asyncio.run(fresh_keystore_database())
    secret_key = secrets.token_hex(32)
    base = "/dev/shm" if os.access("/dev/shm", os.W_OK) else str(tmp_path)  # noqa: S108 -- tmpfs
    kek_dirs = [
        type(tmp_path)(base) / f"organise-drill-keks-{secrets.token_hex(6)}-{host}" for host in "ab"
    ]
    kek1 = epochwrap.new_kek()
    for directory in kek_dirs:
        directory.mkdir(mode=0o700)
        place_kek(directory, 1, kek1)

    def host(name: str, directory) -> LiveServer:
        return LiveServer(
            tmp_path / name,
            extra_env={
                "DATABASE_URL": POSTGRES_URL,
                "ORGANISE_KEYSTORE_URL": keystore_url,
                "ORGANISE_KEYSTORE_KEK_DIR": str(directory),
                "ORGANISE_KEYSTORE_REPORT_SECONDS": "1",
                "ORGANISE_SECRET_KEY": secret_key,
            },
        )

    first, second = host("a", kek_dirs[0]), host("b", kek_dirs[1])
    try:
        first.start()
        second.start()
        assert first.instance_dir != second.instance_dir
        first.create_organiser("drilladmin", "admin")
        first.create_campaign(SLUG, threshold=THRESHOLD, cooling_off="0")
        codes = first.invite_codes(SLUG, THRESHOLD + 1)

        # Signed on both hosts at once; one pledge withdrawn through the host it was not made on.
        early = codes[: THRESHOLD - 1]
        signed = asyncio.run(_sign_at_once([first.url, second.url], early, "Early"))
        withdrawn_name = "Early00"  # signed on the first host
        # A backup of the keystore database taken before the withdrawal.
        backup = backups.dump(keystore_url)
        keys_before = _entry_names(keystore_url)
        with httpx.Client(base_url=second.url, timeout=60) as http:
            gone = http.post("/api/v1/pledges/withdraw", json={"receipt": signed[withdrawn_name]})
            assert gone.status_code == 200, gone.text
            counted = http.get(f"/api/v1/campaigns/{SLUG}").json()
        assert drill.campaign_row(SLUG, second)["pledge_count"] == THRESHOLD - 2
        # The public count: exact, or the band it shows (the campaign's display decides).
        progress = counted["progress"]
        if "count" in progress:
            assert progress["count"] == THRESHOLD - 2, counted
        else:
            assert progress["lower"] <= THRESHOLD - 2 <= progress["upper"], counted

        # Rotation while both serve: the new key placed on both hosts, named from the first.
        kek2 = epochwrap.new_kek()
        for directory in kek_dirs:
            place_kek(directory, 2, kek2)
        rotated = first.run_cli("keystore", "rotate", "--wait", "60")
        assert rotated.returncode == 0, rotated.stdout + rotated.stderr
        assert "Epoch 1 is retired" in rotated.stdout
        assert _wait_for(lambda: not any((d / "epoch-1.kek").exists() for d in kek_dirs))

        # The backup, restored, with the current key (epoch 2): the withdrawn pledge's key,
        # gone from the live keystore, does not open; neither does any other.
        withdrawn_keys = keys_before - _entry_names(keystore_url)
        assert len(withdrawn_keys) == 1
        copied = _restored(keystore_url, backup)
        assert set(copied) == keys_before
        for name, (epoch, wrapped) in copied.items():
            assert epoch == 1
            for tried in (1, 2):
                with pytest.raises(KeystoreError):
                    epochwrap.unwrap(kek2, tried, name, wrapped)
        # Epoch 1's key is gone from both hosts' folders, both databases and the servers'
        # environments (it never was in any of them but the folders).
        live_dump, main_dump = backups.dump(keystore_url), backups.dump(POSTGRES_URL)
        for blob in (backup, live_dump, main_dump, *_environments(first, second)):
            assert kek1 not in blob
            assert kek1.hex().encode() not in blob

        # The last signatures, one on each host, cross the threshold: once.
        late = codes[THRESHOLD - 1 :]
        more = asyncio.run(_sign_at_once([second.url, first.url], late, "Late"))
        assert drill.campaign_row(SLUG, first)["pledge_count"] == THRESHOLD
        assert asyncio.run(_threshold_events()) == 1

        # Revealed by a tick on one host, read through the other.
        tick = second.run_cli("tick")
        assert tick.returncode == 0, tick.stderr
        assert _wait_for(lambda: drill.campaign_row(SLUG, first)["state"] == "revealed")
        owner = first.campaign_owner()
        second.passphrase_file(owner).write_text(PASSPHRASE + "\n")
        revealed = second.run_cli(
            "campaign", "reveal", SLUG, "--organiser", owner,
            "--passphrase-file", str(second.passphrase_file(owner)),
        )  # fmt: skip
        assert revealed.returncode == 0, revealed.stderr
        names = {row[0] for row in list(csv.reader(io.StringIO(revealed.stdout)))[1:]}
        assert names == (set(signed) | set(more)) - {withdrawn_name}
        assert asyncio.run(_threshold_events()) == 1

        status = second.run_cli("keystore", "status", "--json")
        assert status.returncode == 0, status.stderr
        assert '"current_epoch": 2' in status.stdout
        assert '"overdue": false' in status.stdout
    finally:
        first.stop()
        second.stop()
        for directory in kek_dirs:
            for path in directory.iterdir():
                path.unlink()
            directory.rmdir()
        asyncio.run(truncate_postgres(POSTGRES_URL))
        asyncio.run(drop_keystore_database())
    for server in (first, second):
        assert "Traceback" not in server.output()
        assert kek1.hex() not in server.output()
