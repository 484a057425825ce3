"""The optional TOTP second factor: enrolment, sign-in, single use."""

from __future__ import annotations

import re
import time

import pyotp

from organise.organisers.models import Organiser
from tests.support import PASSPHRASE, post_form, sign_in, signed_in_organiser


def _secret_on(page) -> str:
    return re.search(r'name="secret" value="([A-Z2-7]{32})"', page.text).group(1)


async def _offered_secret(client) -> str:
    page = await client.get("/organisers/totp")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "<script" not in page.text
    return _secret_on(page)


async def _enrol(client) -> str:
    secret = await _offered_secret(client)
    code = pyotp.TOTP(secret).now()
    response = await post_form(
        client, "/organisers/totp", {"secret": secret, "code": code, "passphrase": PASSPHRASE}
    )
    assert response.status_code == 200
    assert "Two-step sign-in is on" in response.text
    return secret


def _next_code(secret: str) -> str:
    step = int(time.time()) // 30 + 1
    return pyotp.TOTP(secret).generate_otp(step)


async def test_enrolled_account_needs_a_code_and_each_code_works_once(client):
    organiser = await signed_in_organiser(client)
    secret = await _enrol(client)
    stored = await Organiser.get(id=organiser.id)
    assert secret.encode() not in stored.totp_secret  # encrypted at rest
    client.cookies.clear()

    assert (await sign_in(client)).status_code == 400  # no code
    assert (await sign_in(client, totp_code="000000")).status_code == 400
    code = _next_code(secret)  # the enrolment code's step is already used
    assert (await sign_in(client, totp_code=code)).status_code == 303
    client.cookies.clear()
    replay = await sign_in(client, totp_code=code)
    assert replay.status_code == 400
    assert "not right" in replay.text


async def test_enrolment_rejects_a_wrong_code(client):
    await signed_in_organiser(client)
    secret = await _offered_secret(client)
    response = await post_form(
        client, "/organisers/totp", {"secret": secret, "code": "123456", "passphrase": PASSPHRASE}
    )
    assert response.status_code == 400
    assert "does not match" in response.text
    assert not (await Organiser.get(username="alex")).has_totp


async def test_a_secret_the_server_did_not_make_starts_the_setup_again(client):
    await signed_in_organiser(client)
    response = await post_form(
        client,
        "/organisers/totp",
        {"secret": "NOT-A-SECRET", "code": "123456", "passphrase": PASSPHRASE},
    )
    assert response.status_code == 400
    assert "The setup expired; start again." in response.text
    assert _secret_on(response)  # a fresh secret to scan, not the one sent
    assert "NOT-A-SECRET" not in response.text
    assert not (await Organiser.get(username="alex")).has_totp


async def test_enrolment_needs_the_passphrase_and_cannot_replace_a_factor(client):
    await signed_in_organiser(client)
    secret = await _offered_secret(client)
    code = pyotp.TOTP(secret).now()
    refused = await post_form(
        client,
        "/organisers/totp",
        {"secret": secret, "code": code, "passphrase": "not my passphrase"},
    )
    assert refused.status_code == 400
    assert "passphrase is not right" in refused.text
    assert not (await Organiser.get(username="alex")).has_totp
    await _enrol(client)
    replace = await post_form(
        client, "/organisers/totp", {"secret": secret, "code": code, "passphrase": PASSPHRASE}
    )
    assert replace.status_code == 409
    assert "already on" in replace.text


async def test_codes_in_other_scripts_are_refused_not_crashed_on(client):
    await signed_in_organiser(client)
    await _enrol(client)
    client.cookies.clear()
    response = await sign_in(client, totp_code="١٢٣٤٥٦")  # Arabic-Indic digits
    assert response.status_code == 400
    assert "not right" in response.text


async def test_turning_it_off_needs_the_passphrase(client):
    await signed_in_organiser(client)
    await _enrol(client)
    refused = await post_form(
        client, "/organisers/totp/disable", {"passphrase": "wrong wrong wrong"}
    )
    assert refused.status_code == 400
    assert (await Organiser.get(username="alex")).has_totp
    done = await post_form(client, "/organisers/totp/disable", {"passphrase": PASSPHRASE})
    assert done.status_code == 200
    assert not (await Organiser.get(username="alex")).has_totp
