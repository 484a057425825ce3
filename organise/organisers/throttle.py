"""Passphrase guesses per account name (never per client address, which we do not know).

An attempt is counted BEFORE its passphrase is checked, under a row lock, so guesses sent
in parallel cannot slip past the limit while the slow check runs.
"""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crypto import codes
from organise.organisers.errors import LoginThrottled
from organise.organisers.models import LoginThrottle

FIRST_LOCK = timedelta(seconds=30)
MAX_LOCK = timedelta(hours=1)


def throttle_key(username: str, secret_key: bytes) -> str:
    # Keyed hash of the name: the table does not list which names were tried.
    return codes.code_hash(username, secret_key, kind="login").hex()


def _lock_for(excess: int) -> timedelta:
    return min(FIRST_LOCK * (2 ** min(excess, 16)), MAX_LOCK)


async def admit_attempt(key: str, *, failures_before_delay: int) -> None:
    """Count one attempt, or raise LoginThrottled while the account name is locked.

    The first `failures_before_delay` attempts are free; the attempt that reaches the limit
    locks the name for 30 s, doubling with every further attempt up to an hour.
    """
    now = datetime.now(UTC)
    with contextlib.suppress(IntegrityError):  # another request created it first
        await LoginThrottle.create(name_hash=key, failures=0)
    async with in_transaction():
        throttle = await LoginThrottle.select_for_update().get(name_hash=key)
        if throttle.locked_until is not None and throttle.locked_until > now:
            raise LoginThrottled(throttle.locked_until - now)
        throttle.failures += 1
        excess = throttle.failures - failures_before_delay
        if excess >= 0:
            throttle.locked_until = now + _lock_for(excess)
        await throttle.save(update_fields=["failures", "locked_until"])


async def forget_attempts(key: str) -> None:
    """The right passphrase was given: start counting afresh."""
    await LoginThrottle.filter(name_hash=key).delete()


async def purge_stale(now: datetime | None = None) -> int:
    """Rows quiet for longer than the longest lock say nothing useful any more."""
    now = now or datetime.now(UTC)
    return await LoginThrottle.filter(locked_until__lt=now - MAX_LOCK).delete()
