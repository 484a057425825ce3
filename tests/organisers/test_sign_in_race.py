"""Sign-in during a parallel flood of wrong passphrases, on PostgreSQL (real concurrency).

Guesses and the holder's own sign-ins run at once, each on its own database connection: the
guesses are refused (400), or told the server is busy (429, Retry-After) once the queue of
passphrase checks is full; the holder is never told the account is locked, gets in by trying
again, and signs in at once when the flood is over.
"""

from __future__ import annotations

import asyncio

import pytest

from organise.organisers import throttle
from tests.conftest import RACE_MARKS
from tests.support import make_organiser, sign_in

pytestmark = [*RACE_MARKS, pytest.mark.timeout(120)]

GUESSES = 40


@pytest.fixture(autouse=True)
def no_waiting(monkeypatch):
    async def skip(seconds: float) -> None:
        await asyncio.sleep(0)

    monkeypatch.setattr(throttle, "pause", skip)


async def test_the_holder_signs_in_during_and_after_a_parallel_flood(app, client):
    await make_organiser()

    async def guess(number: int) -> tuple[int, str | None]:
        response = await sign_in(client, "alex", f"wrong passphrase, guess {number}")
        return response.status_code, response.headers.get("retry-after")

    async def holder() -> list[int]:
        seen = []
        for _ in range(200):
            response = await sign_in(client)
            seen.append(response.status_code)
            if response.status_code == 303:
                break
            await asyncio.sleep(0.01)
        return seen

    *guesses, tries = await asyncio.gather(*(guess(n) for n in range(GUESSES)), holder())
    assert {status for status, _ in guesses} <= {400, 429}
    assert all(int(after) >= 1 for status, after in guesses if status == 429)
    assert tries[-1] == 303
    assert set(tries) <= {303, 429}  # busy at worst, never locked
    client.cookies.clear()
    assert (await sign_in(client)).status_code == 303
