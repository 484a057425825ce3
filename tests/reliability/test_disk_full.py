"""Disk full: the SQLite instance directory on a tiny filesystem, written until it fills.

Expected: once the disk is full every write is answered 503 with a readable message ("nothing
was saved"), never a false success; every answer that was a success is stored and readable;
and when space returns the same server process accepts writes again, without a restart.
Needs root (a tmpfs mount); SQLite only (the instance directory holds the database there).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.conftest import ON_POSTGRES
from tests.reliability import drill
from tests.servers import LiveServer
from tests.support import valid_report

pytestmark = [
    pytest.mark.timeout(180),
    pytest.mark.skipif(
        ON_POSTGRES, reason="disk-full drill is about the SQLite instance directory"
    ),
]

SLUG = "diskfull"
REPORT = valid_report("Our team ships the matching service to the department. " * 20)


def _mount(directory: Path, size: str) -> None:
    options = f"size={size},mode=0700"
    result = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(directory)],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if result.returncode != 0:
        pytest.skip(f"cannot mount a tiny filesystem here (needs root): {result.stderr.strip()}")


def _remount(directory: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(directory)], check=True, timeout=30)


@pytest.fixture
def tiny_instance(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("the disk-full drill mounts a tmpfs: it needs root")
    instance = tmp_path / "instance"
    instance.mkdir()
    _mount(instance, "3m")
    try:
        yield tmp_path
    finally:
        subprocess.run(["umount", "-l", str(instance)], check=False, timeout=30)


def _refused_readably(response: httpx.Response, *, api: bool) -> None:
    assert response.status_code == 503, response.text[:300]
    if api:
        assert response.json()["error"]["code"] == "unavailable"
        assert "Nothing was saved" in response.json()["error"]["message"]
    else:
        assert "text/html" in response.headers["content-type"]
        assert "Nothing was saved" in response.text


def test_full_disk_answers_503_stores_no_false_success_and_recovers(tiny_instance):
    server = LiveServer(tiny_instance).start()
    try:
        server.create_campaign(SLUG, threshold=1000, invite_mode="open")
        reports: list[str] = []
        pledges: list[str] = []
        refusals = 0
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for number in range(4000):
                if number % 2:
                    response = http.post("/api/v1/reports", json=REPORT)
                    if response.status_code == 201:
                        reports.append(response.json()["receipt"])
                        continue
                else:
                    response = http.post(
                        f"/api/v1/campaigns/{SLUG}/pledges", json={"name": f"Signer {number}"}
                    )
                    if response.status_code == 201:
                        pledges.append(response.json()["receipt"])
                        continue
                _refused_readably(response, api=True)
                refusals += 1
                if refusals >= 6:
                    break
            assert refusals >= 6, "the filesystem never filled"
            # A browser gets a readable page, not a traceback.
            page = http.post(
                f"/campaigns/{SLUG}/sign",
                data={"name": "Page signer"},
                headers={"Sec-Fetch-Site": "same-origin"},
            )
            _refused_readably(page, api=False)

            _remount(tiny_instance / "instance", "64m")
            recovered = http.post("/api/v1/reports", json=REPORT)
            assert recovered.status_code == 201, recovered.text
            reports.append(recovered.json()["receipt"])
            signed = http.post(f"/api/v1/campaigns/{SLUG}/pledges", json={"name": "After"})
            assert signed.status_code == 201, signed.text
            pledges.append(signed.json()["receipt"])

            # Every success is there; nothing that was refused is.
            for receipt in reports:
                status = http.post("/api/v1/reports/status", json={"receipt": receipt})
                assert status.status_code == 200, status.text
            for receipt in pledges:
                status = http.post("/api/v1/pledges/status", json={"receipt": receipt})
                assert status.status_code == 200, status.text
        counts = drill.row_counts(server)
        assert counts["organise.sqlite3:report"] == len(reports)
        assert counts["organise.sqlite3:campaign_pledge"] == len(pledges)
        row = drill.campaign_row(SLUG, server)
        assert row["pledge_count"] == row["rows"] == len(pledges)
    finally:
        server.stop()
    output = server.output()
    assert "Traceback" not in output
    assert "unhandled" not in output
