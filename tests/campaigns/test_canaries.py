"""A raw copy of the database (and of the keystore) holds none of the words a signer typed."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from organise.campaigns.models import Audience, CampaignState
from organise.roles import Role
from organise.settings import Settings
from tests.campaigns.conftest import make_campaign, make_codes, refreshed, sign, tick
from tests.conftest import ON_POSTGRES
from tests.support import make_organiser, post_form


def _variants(canary: str) -> list[bytes]:
    raw = canary.encode("utf-8")
    # As text, and as PostgreSQL prints bytea (hex) or SQLite might store UTF-16.
    return [raw, raw.hex().encode(), canary.encode("utf-16-le")]


def _sqlite_bytes(path: Path) -> bytes:
    data = b""
    for suffix in ("", "-wal", "-shm", "-journal"):
        candidate = Path(f"{path}{suffix}")
        if candidate.exists():
            data += candidate.read_bytes()
    return data


def _postgres_dump(url: str) -> bytes:
    if shutil.which("pg_dump") is None:
        pytest.skip("pg_dump is not installed")
    dump = subprocess.run(
        ["pg_dump", "--no-owner", url],
        capture_output=True,
        check=True,
        timeout=120,
        env={**os.environ, "PGCONNECT_TIMEOUT": "10"},
    )
    return dump.stdout


def _raw_copy(settings: Settings) -> bytes:
    if ON_POSTGRES:
        database = _postgres_dump(settings.database_url)
    else:
        database = _sqlite_bytes(Path(settings.database_url.removeprefix("sqlite://")))
    return database + _sqlite_bytes(settings.keystore_path)


def _assert_absent(raw: bytes, canaries: list[str]) -> None:
    assert len(raw) > 10_000
    for canary in canaries:
        for form in _variants(canary):
            assert form not in raw, f"{canary!r} found in a raw copy of the stored data"


@pytest.mark.parametrize("audience", [Audience.ORGANISERS, Audience.COSIGNERS, Audience.PUBLIC])
async def test_no_signed_word_reaches_the_disk(app, client, settings, audience):
    await make_organiser("alex", Role.ORGANISER)
    campaign = (await make_campaign(app, audience=audience)).campaign
    codes = await make_codes(app, campaign, 3)
    token = uuid.uuid4().hex[:12]
    canaries = [f"{kind}{token}" for kind in ("Name", "Contact", "Team", "Message", "Form")]
    for code in codes[:2]:
        response = await sign(
            client,
            "walkout",
            code,
            canaries[0],
            contact=canaries[1],
            team=canaries[2],
            message=f"Long message {canaries[3]} with words",
            list_publicly=audience == Audience.PUBLIC,
        )
        assert response.status_code == 201
    form = await post_form(
        client,
        "/campaigns/walkout/sign",
        {"name": canaries[4], "message": canaries[3], "invite_code": codes[2]},
    )
    assert form.status_code == 200
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF

    # After signing, before the reveal.
    _assert_absent(_raw_copy(settings), canaries)

    # After the reveal, the released copies are encrypted too.
    await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    _assert_absent(_raw_copy(settings), canaries)
