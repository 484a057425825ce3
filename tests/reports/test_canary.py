"""What a worker typed into details or messages never reaches the database files.

Unique canary words go in through the real routes (web form and JSON API, reporter and
reviewer); then the raw bytes of the database (SQLite file, WAL and shared memory; the
keystore), or on PostgreSQL every row of every table as text plus `pg_dump`, are searched.
Structured fields are stored in the clear by design, which the test also checks, so that a
search that finds nothing is known to be looking in the right place.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import uuid
from pathlib import Path

from tortoise import Tortoise

from organise.reports.models import Report
from organise.reports.submission import receipt_hash
from tests.conftest import ON_POSTGRES, POSTGRES_URL
from tests.reports.helpers import report_json, reviewer
from tests.support import post_form


def _sqlite_bytes(database_url: str, keystore_path: Path) -> bytes:
    database = Path(database_url.removeprefix("sqlite://"))
    files = [
        path
        for base in (database, keystore_path)
        for path in (base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal"))
        if path.exists()
    ]
    assert database in files
    return b"".join(path.read_bytes() for path in files)


async def _postgres_text() -> bytes:
    connection = Tortoise.get_connection("default")
    tables = await connection.execute_query_dict(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'"
    )
    dump = []
    for row in tables:
        name = row["table_name"]
        # Names come from the catalogue, not from input.
        rows = await connection.execute_query_dict(f'SELECT t::text AS r FROM "{name}" t')  # noqa: S608
        dump.extend(r["r"] for r in rows)
    text = "\n".join(dump).encode()
    if shutil.which("pg_dump"):
        completed = await asyncio.to_thread(
            subprocess.run,
            ["pg_dump", "--data-only", POSTGRES_URL],
            capture_output=True,
            check=True,
            timeout=60,
        )
        text += completed.stdout
    return text


def _absent(haystack: bytes, needle: str) -> bool:
    raw = needle.encode()
    return raw not in haystack and raw.hex().encode() not in haystack


async def test_details_and_messages_never_reach_the_database_files(client, settings, app):
    tag = uuid.uuid4().hex[:12]
    secrets = {
        "form details": f"formdetails{tag} zebra",
        "api details": f"apidetails{tag} quokka",
        "reviewer message": f"reviewermsg{tag} narwhal",
        "reporter form message": f"reporterformmsg{tag} axolotl",
        "reporter api message": f"reporterapimsg{tag} pangolin",
    }
    structured = f"Employer{tag}"
    await reviewer(client)

    page = await post_form(
        client,
        "/reports/new",
        {
            "employer": structured,
            "technologies": "drones-robots",
            "status": "rumoured",
            "details": secrets["form details"],
        },
    )
    assert page.status_code == 201
    api = await client.post(
        "/api/v1/reports", json=report_json(employer=structured, details=secrets["api details"])
    )
    assert api.status_code == 201
    receipt = api.json()["receipt"]
    api_report = await Report.get(receipt_hash=receipt_hash(receipt, app.state.runtime.code_pepper))
    assert await Report.filter(employer_name=structured).count() == 2

    reply = await post_form(
        client,
        f"/organisers/reports/{api_report.id}/reply",
        {"message": secrets["reviewer message"]},
    )
    assert reply.status_code == 303
    client.cookies.clear()
    answer = await client.post(
        "/api/v1/reports/messages",
        json={"receipt": receipt, "message": secrets["reporter api message"]},
    )
    assert answer.status_code == 201
    form_answer = await post_form(
        client,
        "/reports/follow-up/reply",
        {"receipt": receipt, "message": secrets["reporter form message"]},
    )
    assert form_answer.status_code == 200
    # The reporter reads everything back, so the canaries did go through the system.
    shown = (await client.post("/api/v1/reports/status", json={"receipt": receipt})).json()
    texts = {m["text"] for m in shown["messages"]}
    assert texts == {
        secrets["reviewer message"],
        secrets["reporter api message"],
        secrets["reporter form message"],
    }

    if ON_POSTGRES:
        stored = await _postgres_text()
    else:
        stored = _sqlite_bytes(settings.database_url, app.state.runtime.keystore.path)
    assert structured.encode() in stored, "structured fields are stored in the clear by design"
    for what, secret in secrets.items():
        for word in secret.split():
            assert _absent(stored, word), f"{what} found in the raw database"
    assert _absent(stored, receipt)
