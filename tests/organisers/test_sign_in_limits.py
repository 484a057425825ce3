"""Sign-in limits: failures slowed per account name, never a lock-out; a cap on checks at once.

The delays are not waited out here: `throttle.pause` is replaced by a recorder, so the tests see
which answers were held back, and for how long, without timing anything.
"""

from __future__ import annotations

import asyncio
import dataclasses
import threading

import pytest
from httpx import Response

from crypto import codes, passwords
from organise.organisers import accounts, enrolment, throttle
from organise.organisers.models import Organiser
from organise.ratelimit import FailureRate
from organise.roles import Role
from tests.support import PASSPHRASE, make_organiser, post_form, sign_in, signed_in_organiser

WRONG = "wrong passphrase, guess"
HOLDER = "tundra compass ember quarry"


@pytest.fixture
def settings(settings):
    """One failure an hour per endpoint (the enrolment page): the second meets the limit."""
    return dataclasses.replace(settings, rate_limit=FailureRate(failures=1, seconds=3600))


@pytest.fixture
def pauses(monkeypatch):
    """Each delay a failed answer was held back by, in order (instead of sleeping)."""
    held: list[float] = []

    async def record(seconds: float) -> None:
        held.append(seconds)

    monkeypatch.setattr(throttle, "pause", record)
    return held


async def test_a_flood_of_wrong_passphrases_slows_failures_but_the_right_one_signs_in_at_once(
    app, client, settings, pauses
):
    await make_organiser()
    free = settings.login_failures_before_delay
    for _ in range(free + 6):
        response = await sign_in(client, "alex", WRONG)
        assert response.status_code == 400
        assert "not right" in response.text
    # The first few failures are answered at once, then each waits longer, up to a ceiling.
    assert pauses == [1, 2, 4, 8, 16, 30]
    # Right after the flood, the holder signs in: no wait, no lock.
    right = await sign_in(client)
    assert right.status_code == 303
    assert "set-cookie" in right.headers
    assert pauses == [1, 2, 4, 8, 16, 30]
    # ...and the count starts afresh.
    client.cookies.clear()
    assert (await sign_in(client, "alex", WRONG)).status_code == 400
    assert len(pauses) == 6


async def test_the_right_passphrase_is_never_held_back_even_between_failures(
    client, settings, pauses
):
    await make_organiser()
    for _ in range(settings.login_failures_before_delay + 3):
        await sign_in(client, "alex", WRONG)
    held_before = len(pauses)
    assert held_before == 3
    for _ in range(3):
        client.cookies.clear()
        assert (await sign_in(client)).status_code == 303
    assert len(pauses) == held_before


async def test_failures_of_one_name_do_not_slow_another(client, settings, pauses):
    await make_organiser()
    await make_organiser("robin")
    for _ in range(settings.login_failures_before_delay + 2):
        await sign_in(client, "alex", WRONG)
    held = len(pauses)
    assert (await sign_in(client, "robin", WRONG)).status_code == 400
    assert len(pauses) == held
    assert (await sign_in(client, "robin")).status_code == 303


async def test_unknown_names_are_slowed_like_real_ones_and_only_a_keyed_hash_is_kept(
    app, client, settings, pauses
):
    for _ in range(settings.login_failures_before_delay + 1):
        response = await sign_in(client, "ghost", WRONG)
        assert response.status_code == 400
        assert "not right" in response.text
    assert pauses == [1]
    names = app.state.runtime.limits.names
    assert len(names) == 1
    assert "ghost" not in repr(names._records)


async def test_passphrase_checks_on_account_pages_count_too_and_never_lock(
    client, settings, pauses
):
    await signed_in_organiser(client)
    for _ in range(settings.login_failures_before_delay + 1):
        wrong = await post_form(client, "/organisers/totp/disable", {"passphrase": WRONG})
        assert wrong.status_code == 400
    assert pauses == [1]
    changed = await post_form(
        client,
        "/organisers/passphrase",
        {"current_passphrase": PASSPHRASE, "new_passphrase": "meadow copper thistle harbour"},
    )
    assert changed.status_code == 200
    assert "Passphrase changed" in changed.text


class BlockedKdf:
    """Passphrase checks that wait inside the KDF thread until the test lets them go."""

    def __init__(self) -> None:
        self.entered = threading.Semaphore(0)
        self.go = threading.Event()
        self.real = passwords.verify_passphrase

    def __call__(self, stored: bytes, passphrase: str) -> bool:
        self.entered.release()
        self.go.wait(timeout=60)
        return self.real(stored, passphrase)

    async def wait_entered(self) -> None:
        assert await asyncio.to_thread(self.entered.acquire, True, 30)


async def places_taken(count: int) -> None:
    """Wait until `count` passphrase checks hold a place (running or waiting) in the queue."""
    for _ in range(3000):
        if sum(line.places for line in accounts._kdf_lines.values()) >= count:
            return
        await asyncio.sleep(0.01)
    raise AssertionError(f"{count} checks never queued")


@pytest.fixture
def blocked_kdf(monkeypatch):
    blocked = BlockedKdf()
    monkeypatch.setattr(passwords, "verify_passphrase", blocked)
    yield blocked
    blocked.go.set()


async def test_sign_in_is_answered_429_when_the_queue_of_checks_is_full(
    client, monkeypatch, blocked_kdf
):
    await make_organiser()
    await make_organiser("robin")
    monkeypatch.setattr(accounts, "KDF_AT_ONCE", 1)
    monkeypatch.setattr(accounts, "KDF_QUEUE", 1)
    running = asyncio.create_task(sign_in(client))
    await blocked_kdf.wait_entered()
    waiting = asyncio.create_task(sign_in(client, "robin"))
    await places_taken(2)
    busy = await sign_in(client, "robin")
    assert busy.status_code == 429
    assert busy.headers["retry-after"] == str(accounts.KDF_RETRY_SECONDS)
    assert "Too many passphrases are being checked at once" in busy.text
    assert f"try again in {accounts.KDF_RETRY_SECONDS} seconds" in busy.text
    assert 'name="username" value="robin"' in busy.text  # the form, filled in again
    assert "set-cookie" not in busy.headers
    blocked_kdf.go.set()
    assert (await running).status_code == 303
    assert (await waiting).status_code == 303


async def test_one_name_cannot_take_every_place_in_the_queue(client, monkeypatch, blocked_kdf):
    await make_organiser()
    await make_organiser("robin")
    monkeypatch.setattr(accounts, "KDF_AT_ONCE", 1)
    monkeypatch.setattr(accounts, "KDF_QUEUE", 3)
    monkeypatch.setattr(accounts, "KDF_PER_NAME", 2)
    guesses = [asyncio.create_task(sign_in(client, "alex", WRONG))]
    await blocked_kdf.wait_entered()
    guesses.append(asyncio.create_task(sign_in(client, "alex", f"{WRONG} 2")))
    await places_taken(2)
    third = await sign_in(client, "alex", f"{WRONG} 3")
    assert third.status_code == 429
    # Someone else still gets a place, and signs in once the checks move on.
    other = asyncio.create_task(sign_in(client, "robin"))
    blocked_kdf.go.set()
    assert [(await guess).status_code for guess in guesses] == [400, 400]
    assert (await other).status_code == 303


async def test_a_right_enrolment_code_is_never_refused_for_the_limit(app, client):
    runtime = app.state.runtime
    _pending, code = await enrolment.create_pending(
        "dana", Role.ORGANISER, pepper=runtime.code_pepper
    )
    for _ in range(2):
        guess = await enrol(client, codes.new_invite_code(), "dana")
    assert guess.status_code == 429
    assert int(guess.headers["retry-after"]) >= 1
    assert "do not go together" in guess.text
    assert "Please wait" in guess.text
    # The holder with the right code and a slip is told what to fix, not to wait...
    slip = await enrol(client, code, "dana", repeated="something else entirely")
    assert slip.status_code == 400
    assert "The two passphrases differ" in slip.text
    # ...and enrols at once.
    done = await enrol(client, code, "dana")
    assert done.status_code == 200
    assert (await Organiser.get(username="dana")).enrolled
    # A used code is an alarm, shown whatever the limit.
    used = await enrol(client, code, "dana")
    assert used.status_code == 409
    assert "already used" in used.text


async def enrol(client, code: str, username: str, repeated: str = HOLDER) -> Response:
    return await post_form(
        client,
        "/organisers/enrol",
        {"code": code, "username": username, "passphrase": HOLDER, "repeated": repeated},
    )
