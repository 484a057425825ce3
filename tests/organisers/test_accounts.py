"""Creating accounts, signing in and out, passphrase rules (limits: test_sign_in_limits.py)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from nacl import pwhash

from crypto import keywrap, passwords
from organise.organisers import accounts
from organise.organisers.errors import AccountError, PassphraseRejected
from organise.organisers.models import Organiser, OrganiserSession
from organise.roles import Role
from tests.support import PASSPHRASE, make_organiser, post_form, sign_in, signed_in_organiser


async def test_created_account_has_argon2id_hash_and_a_wrapped_key_pair(client):
    organiser = await make_organiser("alex", Role.REVIEWER)
    stored = await Organiser.get(id=organiser.id)
    assert stored.passphrase_hash.startswith(b"$argon2id$")
    assert PASSPHRASE.encode() not in stored.passphrase_hash
    private_key = keywrap.unwrap_private_key(stored.wrapped_private_key, PASSPHRASE)
    assert bytes(private_key.public_key) == stored.public_key


@pytest.mark.real_kdf
async def test_accounts_use_argon2id_at_least_moderate(client):
    assert accounts.KDF_OPSLIMIT >= pwhash.argon2id.OPSLIMIT_MODERATE
    assert accounts.KDF_MEMLIMIT >= pwhash.argon2id.MEMLIMIT_MODERATE
    organiser = await make_organiser()
    # The stored hash and the wrapped key both record their parameters.
    memory_kib = int(re.search(rb"m=(\d+)", organiser.passphrase_hash).group(1))
    assert memory_kib * 1024 >= pwhash.argon2id.MEMLIMIT_MODERATE
    opslimit, memlimit = keywrap.wrapped_parameters(organiser.wrapped_private_key)
    assert opslimit >= pwhash.argon2id.OPSLIMIT_MODERATE
    assert memlimit >= pwhash.argon2id.MEMLIMIT_MODERATE


@pytest.mark.parametrize(
    ("passphrase", "message"),
    [
        ("short one", "at least 12 characters"),
        ("aaaaaaaaaaaaaaaa", "too easy to guess"),
        ("password1234", "too easy to guess"),
        ("alex-is-my-passphrase", "must not contain the account name"),
        ("x" * 1025, "at most 1024 bytes"),
    ],
)
async def test_weak_or_over_long_passphrases_are_refused(client, passphrase, message):
    with pytest.raises(PassphraseRejected, match=message):
        await accounts.create_organiser("alex", Role.ORGANISER, passphrase)
    assert await Organiser.all().count() == 0


async def test_over_long_passphrase_is_refused_before_any_hashing(client, monkeypatch):
    def must_not_hash(*args, **kwargs):
        raise AssertionError("hashed an over-long passphrase")

    monkeypatch.setattr(passwords, "hash_passphrase", must_not_hash)
    monkeypatch.setattr(passwords, "verify_passphrase", must_not_hash)
    with pytest.raises(PassphraseRejected):
        await accounts.create_organiser("alex", Role.ORGANISER, "é" * 600)  # 1200 bytes
    response = await sign_in(client, "alex", "x" * 5000)
    assert response.status_code == 400
    assert "at most 1024 bytes" in response.text


async def test_duplicate_and_malformed_names_are_refused(client):
    await make_organiser("alex")
    with pytest.raises(AccountError, match="already exists"):
        await make_organiser("ALEX")
    with pytest.raises(AccountError, match="account name"):
        await make_organiser("no spaces please")


async def test_sign_in_sets_a_strict_session_cookie(client):
    await make_organiser()
    response = await sign_in(client)
    assert response.status_code == 303
    cookie = response.headers["set-cookie"].lower()
    assert cookie.startswith("organise_session=")
    for attribute in ("httponly", "samesite=strict", "path=/"):
        assert attribute in cookie
    assert "secure" not in cookie  # plain http in tests: a Secure cookie would never come back
    assert "max-age" not in cookie  # a browser-session cookie, not stored on disk for later
    token = response.cookies["organise_session"]
    assert len(token) >= 43  # 256 random bits, URL-safe base64
    # Only a keyed hash of the token is stored.
    [session] = await OrganiserSession.all()
    assert token not in session.token_hash
    page = await client.get("/organisers/")
    assert page.status_code == 200
    assert "alex" in page.text


async def test_over_https_the_cookie_is_host_prefixed_and_secure(app, client):
    await make_organiser()
    client.base_url = "https://testserver"
    response = await sign_in(client)
    cookie = response.headers["set-cookie"]
    assert cookie.startswith("__Host-organise_session=")
    assert "Secure" in cookie
    assert "Domain" not in cookie


async def test_wrong_passphrase_and_unknown_account_look_the_same(client):
    await make_organiser()
    wrong = await sign_in(client, "alex", "not the right passphrase")
    unknown = await sign_in(client, "nobody", PASSPHRASE)
    assert wrong.status_code == unknown.status_code == 400
    message = "That account name, passphrase or code is not right."
    assert message in wrong.text
    assert message in unknown.text
    assert "set-cookie" not in wrong.headers


async def test_session_id_is_rotated_at_sign_in(client):
    await signed_in_organiser(client)
    first = client.cookies["organise_session"]
    await sign_in(client)
    second = client.cookies["organise_session"]
    assert first != second
    assert await OrganiserSession.all().count() == 1  # the earlier session was ended
    client.cookies.set("organise_session", first)
    response = await client.get("/organisers/")
    assert response.status_code == 303


async def test_logout_is_post_only_and_ends_the_session(client):
    await signed_in_organiser(client)
    assert (await client.get("/organisers/logout")).status_code == 405
    response = await post_form(client, "/organisers/logout")
    assert response.status_code == 303
    assert await OrganiserSession.all().count() == 0
    assert (await client.get("/organisers/")).status_code == 303


@pytest.mark.parametrize(
    "aged",
    [
        {"last_seen_at": timedelta(minutes=31)},  # idle timeout (30 min)
        {"created_at": timedelta(hours=13), "last_seen_at": timedelta(0)},  # absolute (12 h)
    ],
)
async def test_idle_and_absolute_timeouts_end_sessions(client, aged):
    await signed_in_organiser(client)
    now = datetime.now(UTC)
    await OrganiserSession.all().update(**{field: now - age for field, age in aged.items()})
    response = await client.get("/organisers/")
    assert response.status_code == 303
    assert await OrganiserSession.all().count() == 0


async def test_passphrase_change_ends_every_other_session_and_rewraps_the_key(app, client):
    organiser = await make_organiser()
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as other:
        await sign_in(other)
        await sign_in(client)
        assert await OrganiserSession.all().count() == 2
        new_passphrase = "meadow copper thistle harbour"
        response = await post_form(
            client,
            "/organisers/passphrase",
            {"current_passphrase": PASSPHRASE, "new_passphrase": new_passphrase},
        )
        assert response.status_code == 200
        assert "Every other session has been signed out" in response.text
        assert (await other.get("/organisers/")).status_code == 303
        assert (await client.get("/organisers/")).status_code == 200
    stored = await Organiser.get(id=organiser.id)
    private_key = keywrap.unwrap_private_key(stored.wrapped_private_key, new_passphrase)
    assert bytes(private_key.public_key) == organiser.public_key
    client.cookies.clear()
    assert (await sign_in(client, "alex", PASSPHRASE)).status_code == 400
    assert (await sign_in(client, "alex", new_passphrase)).status_code == 303


async def test_passphrase_change_needs_the_current_passphrase(client):
    await signed_in_organiser(client)
    response = await post_form(
        client,
        "/organisers/passphrase",
        {"current_passphrase": "wrong wrong wrong", "new_passphrase": "meadow copper thistle"},
    )
    assert response.status_code == 400
    assert "current passphrase is not right" in response.text
    assert await OrganiserSession.all().count() == 1


async def test_timed_out_sessions_are_purged_at_the_next_sign_in(client):
    await signed_in_organiser(client)
    await OrganiserSession.all().update(last_seen_at=datetime.now(UTC) - timedelta(hours=2))
    client.cookies.clear()
    await sign_in(client)
    assert await OrganiserSession.all().count() == 1


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [
        (Role.ORGANISER, ["/organisers/campaigns/"], ["/organisers/reports/"]),
        (Role.REVIEWER, ["/organisers/reports/"], ["/organisers/campaigns/"]),
        (Role.ADMIN, ["/organisers/campaigns/", "/organisers/reports/"], []),
    ],
)
async def test_navigation_offers_what_the_role_may_use(client, role, shown, hidden):
    await signed_in_organiser(client, role=role)
    page = (await client.get("/organisers/")).text
    for path in shown:
        assert f'href="{path}"' in page
        assert (await client.get(path)).status_code == 200
    for path in hidden:
        assert f'href="{path}"' not in page
        assert (await client.get(path)).status_code == 403
