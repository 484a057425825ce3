"""What workers are told about backups when they withdraw: more only with the shared keystore."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from organise.app import create_app
from tests.conftest import ON_POSTGRES, fresh_keystore_database, running_client
from tests.keystore.conftest import place_kek

FINAL = "becomes final for backups at the next rotation"


async def _withdraw_page(app) -> str:
    async with running_client(app) as http:
        page = await http.get("/pledges/withdraw", follow_redirects=True)
        assert page.status_code == 200
        return page.text


def test_the_file_keystore_promises_no_more_than_today(app):
    page = asyncio.run(_withdraw_page(app))
    assert "for good" in page
    assert FINAL not in page


@pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL")
def test_with_the_shared_keystore_a_withdrawal_is_final_for_backups_at_the_next_rotation(
    settings, keystore_url, kek_dir
):
    asyncio.run(fresh_keystore_database())
    place_kek(kek_dir, 1)
    shared = dataclasses.replace(
        settings,
        keystore_url=keystore_url,
        keystore_kek_dir=kek_dir,
        keystore_rotation_days=7,
    )
    page = asyncio.run(_withdraw_page(create_app(shared)))
    assert FINAL in page
    assert "every 7 days" in page
