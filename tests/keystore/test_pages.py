"""What workers are told about backups when they withdraw: more only with the shared keystore."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from organise.app import create_app
from tests.campaigns.conftest import make_campaign, make_codes, sign
from tests.conftest import ON_POSTGRES, connect_postgres, fresh_keystore_database, running_client
from tests.keystore.conftest import place_kek
from tests.support import post_form

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


async def _sign_after_the_epoch_moved_on(app, keystore_url) -> tuple[int, str, int]:
    async with running_client(app) as http:
        form = await http.get("/pledges/withdraw", follow_redirects=True)
        action = str(form.url)
        # Another host named epoch 2 current; this one never got its key.
        connection = await connect_postgres(keystore_url)
        try:
            await connection.execute(
                "INSERT INTO keystore_epoch (epoch, named_at) VALUES (2, now())"
            )
            before = await connection.fetchval("SELECT count(*) FROM keystore_entry")
        finally:
            await connection.close()
        answer = await http.post(
            action, data={"receipt": "not a receipt", "confirm": "yes"}, follow_redirects=True
        )
        connection = await connect_postgres(keystore_url)
        try:
            after = await connection.fetchval("SELECT count(*) FROM keystore_entry")
        finally:
            await connection.close()
        return answer.status_code, answer.text, after - before


@pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL")
def test_a_host_without_the_current_key_answers_503_and_writes_nothing(
    settings, keystore_url, kek_dir, caplog
):
    asyncio.run(fresh_keystore_database())
    place_kek(kek_dir, 1)
    shared = dataclasses.replace(settings, keystore_url=keystore_url, keystore_kek_dir=kek_dir)
    status, text, written = asyncio.run(
        _sign_after_the_epoch_moved_on(create_app(shared), keystore_url)
    )
    assert status == 503
    assert "Traceback" not in text
    assert written == 0
    assert "lacks the key-encryption key of epoch 2" in caplog.text


@pytest.mark.skipif(not ON_POSTGRES, reason="needs ORGANISE_TEST_DATABASE_URL")
async def test_a_withdrawal_through_the_page_says_when_it_is_final_for_backups(
    settings, keystore_url, kek_dir
):
    await fresh_keystore_database()
    place_kek(kek_dir, 1)
    shared = dataclasses.replace(
        settings, keystore_url=keystore_url, keystore_kek_dir=kek_dir, keystore_rotation_days=1
    )
    app = create_app(shared)
    async with running_client(app) as client:
        created = await make_campaign(app)
        [code] = await make_codes(app, created.campaign, 1)
        receipt = (await sign(client, "walkout", code, "Canary Name")).json()["receipt"]
        page = await post_form(client, "/pledges/withdraw", {"receipt": receipt, "confirm": "yes"})
        keys_left = app.state.runtime.keystore.names("pledge/")
    assert page.status_code == 200
    assert "has been withdrawn" in page.text
    assert FINAL in page.text
    assert "scheduled every 1 day:" in page.text
    assert keys_left == []
