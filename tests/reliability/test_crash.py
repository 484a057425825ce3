"""Crash: `kill -9` the server in the middle of signing load, restart it, and lose nothing.

After the restart every pledge whose signer got a 201 and a receipt is there, and opens at the
reveal; the campaign's count equals its rows; each invite code was either spent by exactly one
stored pledge or is still usable (no code lost, no pledge without its code's deletion).
"""

from __future__ import annotations

import asyncio
import csv
import io
import signal
import time

import httpx
import pytest

from tests.conftest import ON_POSTGRES, POSTGRES_URL, truncate_postgres
from tests.reliability import drill
from tests.servers import LiveServer
from tests.support import PASSPHRASE

pytestmark = pytest.mark.timeout(240)

SLUG = "crash"
CODES = 200
THRESHOLD = CODES  # reached by the very last code: signing stays open throughout
CONCURRENCY = 16
KILL_AFTER = 20  # acknowledged signatures before the kill


async def _load(server: LiveServer, codes: list[str], acknowledged: dict[str, str]) -> int:
    """Sign with every code, 16 at a time; SIGKILL the server after KILL_AFTER successes.

    Returns how many requests got no answer (in flight at the kill, or sent after it).
    """
    queue: asyncio.Queue[tuple[int, str]] = asyncio.Queue()
    for number, code in enumerate(codes):
        queue.put_nowait((number, code))
    unanswered = 0
    killed = asyncio.Event()

    async def worker(http: httpx.AsyncClient) -> None:
        nonlocal unanswered
        while not queue.empty():
            number, code = queue.get_nowait()
            if killed.is_set():
                unanswered += 1
                continue
            name = f"Crashsigner{number:04d}"
            try:
                response = await http.post(
                    f"/api/v1/campaigns/{SLUG}/pledges", json={"invite_code": code, "name": name}
                )
            except httpx.TransportError:
                unanswered += 1
                continue
            if response.status_code == 201 and response.json().get("receipt"):
                acknowledged[name] = response.json()["receipt"]
                if len(acknowledged) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    assert server.process is not None
                    server.process.send_signal(signal.SIGKILL)
            else:
                # Before the kill, every signature must succeed.
                assert killed.is_set(), response.text

    limits = httpx.Limits(max_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=server.url, timeout=30, limits=limits) as http:
        await asyncio.gather(*(worker(http) for _ in range(CONCURRENCY)))
    return unanswered


def _unused_codes(server: LiveServer, codes: list[str]) -> list[str]:
    """Sign with every code again: unused ones sign (201), spent ones are refused (403)."""
    unused = []
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for number, code in enumerate(codes):
            response = http.post(
                f"/api/v1/campaigns/{SLUG}/pledges",
                json={"invite_code": code, "name": f"Aftersigner{number:04d}"},
            )
            if response.status_code == 201:
                unused.append(code)
            else:
                assert response.status_code == 403, response.text
    return unused


def _revealed(server: LiveServer) -> dict[str, object]:
    """Tick until the campaign is revealed (the server's own ticker may be at it too)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        tick = server.run_cli("tick")
        assert tick.returncode == 0, tick.stderr
        row = drill.campaign_row(SLUG, server)
        if row["state"] == "revealed":
            return row
        time.sleep(1)
    return drill.campaign_row(SLUG, server)


def test_kill_nine_during_signing_loses_no_acknowledged_pledge(tmp_path, database_url):
    root = tmp_path / "crash"
    env = drill.server_env()
    server = LiveServer(root, extra_env=env).start()
    try:
        server.create_organiser("crashadmin", "admin")
        server.create_campaign(SLUG, threshold=THRESHOLD, cooling_off="0")
        codes = server.invite_codes(SLUG, CODES)
        acknowledged: dict[str, str] = {}
        unanswered = asyncio.run(_load(server, codes, acknowledged))
        assert server.process is not None
        assert server.process.wait(timeout=30) == -signal.SIGKILL
        assert len(acknowledged) >= KILL_AFTER
        assert unanswered > 0

        restarted = LiveServer(root, extra_env=env).start()
        try:
            after_crash = drill.campaign_row(SLUG, restarted)
            assert after_crash["pledge_count"] == after_crash["rows"]
            assert after_crash["rows"] >= len(acknowledged)
            with httpx.Client(base_url=restarted.url, timeout=30) as http:
                for receipt in acknowledged.values():
                    status = http.post("/api/v1/pledges/status", json={"receipt": receipt})
                    assert status.status_code == 200, status.text
                    assert status.json()["pledge"] == "sealed"
            # Signing the remaining codes: each code is spent once, by a stored pledge, or not.
            stored_before = after_crash["rows"]
            still_usable = _unused_codes(restarted, codes)
            assert stored_before + len(still_usable) == CODES
            final = _revealed(restarted)
            assert final["state"] == "revealed", final
            assert final["pledge_count"] == final["rows"] == CODES

            # The campaign's owner reads it (an admin outside its team could not).
            owner = restarted.campaign_owner()
            passphrase_file = root / f"passphrase-{owner}"
            passphrase_file.write_text(PASSPHRASE + "\n")
            revealed = restarted.run_cli(
                "campaign",
                "reveal",
                SLUG,
                "--organiser",
                owner,
                "--passphrase-file",
                str(passphrase_file),
            )
            assert revealed.returncode == 0, revealed.stderr
        finally:
            restarted.stop()
        names = {row[0] for row in list(csv.reader(io.StringIO(revealed.stdout)))[1:]}
        assert len(names) == CODES
        assert set(acknowledged) <= names
        assert "Traceback" not in restarted.output()
    finally:
        server.stop()
        if ON_POSTGRES:
            asyncio.run(truncate_postgres(POSTGRES_URL))
