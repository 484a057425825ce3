"""Creating organiser accounts, checking their passphrases, changing them."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TypeVar

import anyio
from nacl.public import PrivateKey
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto import codes, keywrap, passwords
from organise.i18n import _
from organise.organisers import totp
from organise.organisers.errors import AccountError, LoginFailed, LoginThrottled
from organise.organisers.models import LoginThrottle, Organiser, OrganiserSession, Role
from organise.organisers.passphrases import check_passphrase, check_passphrase_length

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")
MAX_LOCK = timedelta(hours=1)
FIRST_LOCK = timedelta(seconds=30)

# Argon2id at MODERATE takes ~256 MiB: at most two at once keeps a burst of logins
# from exhausting memory. Module attributes so tests can use cheaper limits.
_kdf_slots = threading.BoundedSemaphore(2)
KDF_OPSLIMIT = passwords.MODERATE_OPS
KDF_MEMLIMIT = passwords.MODERATE_MEM

T = TypeVar("T")


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    passphrase: str
    totp_code: str = ""


async def _in_kdf_thread(function: Callable[..., T], *args: object) -> T:
    """Run a memory-hard KDF off the event loop, never more than two at once."""

    def run() -> T:
        with _kdf_slots:
            return function(*args)

    return await anyio.to_thread.run_sync(run)


def normalise_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(
            _(
                "An account name is 2 to 64 characters: lower-case letters, digits, "
                "dots, dashes and underscores, starting with a letter or digit."
            )
        )
    return username


def _hash_and_wrap(passphrase: str) -> tuple[bytes, keywrap.OrganiserKeys]:
    stored = passwords.hash_passphrase(passphrase, opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT)
    keys = keywrap.generate_organiser_keys(passphrase, opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT)
    return stored, keys


async def create_organiser(username: str, role: Role, passphrase: str) -> Organiser:
    username = normalise_username(username)
    check_passphrase(passphrase, username=username)
    if await Organiser.exists(username=username):
        raise AccountError(_("An account with that name already exists."))
    stored, keys = await _in_kdf_thread(_hash_and_wrap, passphrase)
    return await Organiser.create(
        username=username,
        role=role,
        passphrase_hash=stored,
        public_key=keys.public_key,
        wrapped_private_key=keys.wrapped_private_key,
    )


@cache
def _decoy_hash() -> bytes:
    # Checked for unknown names so that a missing account takes as long as a real one.
    return passwords.hash_passphrase(
        "decoy passphrase for unknown accounts", opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT
    )


def _throttle_key(username: str, secret_key: bytes) -> str:
    return codes.code_hash(username, secret_key, kind="login").hex()


async def _check_throttle(key: str, now: datetime) -> None:
    throttle = await LoginThrottle.get_or_none(name_hash=key)
    if throttle and throttle.locked_until and throttle.locked_until > now:
        raise LoginThrottled(throttle.locked_until - now)


async def _record_failure(key: str, now: datetime, failures_before_delay: int) -> None:
    async with in_transaction():
        await LoginThrottle.get_or_create(name_hash=key)
        await LoginThrottle.filter(name_hash=key).update(failures=F("failures") + 1)
        throttle = await LoginThrottle.get(name_hash=key)
        excess = throttle.failures - failures_before_delay
        if excess >= 0:
            lock = min(FIRST_LOCK * (2 ** min(excess, 16)), MAX_LOCK)
            throttle.locked_until = now + lock
            await throttle.save(update_fields=["locked_until"])


async def authenticate(
    attempt: LoginAttempt, *, secret_key: bytes, field_key: bytes, failures_before_delay: int
) -> tuple[Organiser, PrivateKey]:
    """The organiser these credentials prove and their unwrapped private key.

    Raises LoginFailed or LoginThrottled.
    """
    check_passphrase_length(attempt.passphrase)
    try:
        username = normalise_username(attempt.username)
    except AccountError:
        raise LoginFailed from None
    now = datetime.now(UTC)
    key = _throttle_key(username, secret_key)
    await _check_throttle(key, now)
    organiser = await Organiser.get_or_none(username=username)
    stored = organiser.passphrase_hash if organiser else _decoy_hash()
    matches = await _in_kdf_thread(passwords.verify_passphrase, stored, attempt.passphrase)
    if organiser and matches and organiser.has_totp:
        matches = await totp.accept_code(organiser, attempt.totp_code, field_key=field_key)
    if not (organiser and matches):
        await _record_failure(key, now, failures_before_delay)
        raise LoginFailed
    await LoginThrottle.filter(name_hash=key).delete()
    private_key = await _in_kdf_thread(
        keywrap.unwrap_private_key, organiser.wrapped_private_key, attempt.passphrase
    )
    return organiser, private_key


async def passphrase_matches(organiser: Organiser, passphrase: str) -> bool:
    check_passphrase_length(passphrase)
    return await _in_kdf_thread(passwords.verify_passphrase, organiser.passphrase_hash, passphrase)


async def change_passphrase(organiser: Organiser, current: str, new: str) -> None:
    """Re-hash, re-wrap the private key, and end every session of the account."""
    check_passphrase(new, username=organiser.username)
    if not await passphrase_matches(organiser, current):
        raise AccountError(_("The current passphrase is not right."))

    def rehash() -> tuple[bytes, bytes]:
        stored = passwords.hash_passphrase(new, opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT)
        wrapped = keywrap.rewrap_private_key(
            organiser.wrapped_private_key,
            current,
            new,
            opslimit=KDF_OPSLIMIT,
            memlimit=KDF_MEMLIMIT,
        )
        return stored, wrapped

    stored, wrapped = await _in_kdf_thread(rehash)
    async with in_transaction():
        organiser.passphrase_hash = stored
        organiser.wrapped_private_key = wrapped
        await organiser.save(update_fields=["passphrase_hash", "wrapped_private_key"])
        await OrganiserSession.filter(organiser_id=organiser.id).delete()
