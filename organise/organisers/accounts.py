"""Creating organiser accounts, checking their passphrases, changing them."""

from __future__ import annotations

import asyncio
import re
import weakref
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from typing import TypeVar

import anyio
from nacl.public import PrivateKey
from tortoise.transactions import in_transaction

from crypto import keywrap, passwords
from organise.i18n import _l
from organise.organisers import audit, recovery, sessions, throttle, totp
from organise.organisers.errors import AccountDisabled, AccountError, KdfBusy, LoginFailed
from organise.organisers.models import AuditAction, Organiser
from organise.organisers.passphrases import check_passphrase, check_passphrase_length
from organise.ratelimit import NameFailures
from organise.roles import Role
from organise.runtime import Runtime

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_.-]{1,63}$")

# Argon2id at MODERATE takes ~256 MiB: at most two at once (per process) keeps a burst of
# sign-ins from exhausting memory, and past a short queue we answer 429 ("busy, try again in a
# few seconds") instead of tying up threads.
KDF_AT_ONCE = 2
KDF_QUEUE = 8
# Of those places (running or waiting), one account name may hold this many: a flood of guesses
# at one name cannot fill the queue and keep everyone else from signing in.
KDF_PER_NAME = 4
KDF_RETRY_SECONDS = 5
# Module attributes so tests can use cheaper limits.
KDF_OPSLIMIT = passwords.MODERATE_OPS
KDF_MEMLIMIT = passwords.MODERATE_MEM

T = TypeVar("T")


@dataclass(frozen=True)
class LoginAttempt:
    username: str
    passphrase: str = field(repr=False)
    totp_code: str = field(default="", repr=False)


@dataclass
class _KdfLine:
    """The passphrase checks of one event loop: running, waiting, and how many per name."""

    gate: asyncio.Semaphore
    places: int = 0
    per_name: Counter[str] = field(default_factory=Counter)


_kdf_lines: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _KdfLine] = (
    weakref.WeakKeyDictionary()
)


async def _in_kdf_thread(function: Callable[..., T], *args: object, name: str = "") -> T:
    """Run a memory-hard KDF off the event loop, KDF_AT_ONCE at a time, or raise KdfBusy.

    `name`: the keyed hash of the account name the check is for ("" for none), which may hold
    at most KDF_PER_NAME of the places.
    """
    loop = asyncio.get_running_loop()
    line = _kdf_lines.get(loop)
    if line is None:
        line = _kdf_lines[loop] = _KdfLine(gate=asyncio.Semaphore(KDF_AT_ONCE))
    if line.places >= KDF_AT_ONCE + KDF_QUEUE or (name and line.per_name[name] >= KDF_PER_NAME):
        raise KdfBusy(KDF_RETRY_SECONDS)
    line.places += 1
    if name:
        line.per_name[name] += 1
    try:
        async with line.gate:
            return await anyio.to_thread.run_sync(function, *args)
    finally:
        line.places -= 1
        if name:
            line.per_name[name] -= 1
            if not line.per_name[name]:
                del line.per_name[name]


def can_receive_pledges(organiser: Organiser) -> bool:
    """Whether what a campaign reveals may be sealed to this account (an "enabled member").

    Enrolled (its key pair was made under its holder's own passphrase) and not disabled by an
    admin. Keep RECEIVES_PLEDGES,
    the same rule as a query filter, beside it.
    """
    return organiser.enrolled and not organiser.disabled


RECEIVES_PLEDGES: dict[str, object] = {"enrolled": True, "disabled": False}
# Public name for the other account modules (enrolment) that run a KDF.
in_kdf_thread = _in_kdf_thread


def normalise_username(raw: str) -> str:
    username = raw.strip().lower()
    if not USERNAME_PATTERN.fullmatch(username):
        raise AccountError(
            _l(
                "An account name is 2 to 64 characters: lower-case letters, digits, "
                "dots, dashes and underscores, starting with a letter or digit."
            ),
            field="username",
            code="invalid_username",
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
        raise AccountError(
            _l("An account with that name already exists."), field="username", code="username_taken"
        )
    stored, keys = await _in_kdf_thread(_hash_and_wrap, passphrase)
    async with in_transaction():
        created = await Organiser.create(
            username=username,
            role=role,
            passphrase_hash=stored,
            public_key=keys.public_key,
            wrapped_private_key=keys.wrapped_private_key,
        )
        await audit.record(
            AuditAction.CREATED, created, acting=None, now=datetime.now(UTC), detail=role
        )
    return created


@cache
def _decoy_hash() -> bytes:
    # Checked for unknown names so that a missing account takes as long as a real one.
    return passwords.hash_passphrase(
        "decoy passphrase for unknown accounts", opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT
    )


async def authenticate(
    attempt: LoginAttempt, *, field_key: bytes, policy: ThrottlePolicy
) -> tuple[Organiser, PrivateKey]:
    """The organiser these credentials prove and their unwrapped private key.

    Raises LoginFailed (held back when this name has failed many times in a row), or KdfBusy.
    Never refused for earlier failures: the right passphrase signs in at once.
    """
    check_passphrase_length(attempt.passphrase)
    try:
        username = normalise_username(attempt.username)
    except AccountError:
        raise LoginFailed from None
    key = throttle.throttle_key(username, policy.secret_key)
    organiser = await Organiser.get_or_none(username=username)
    # An account still waiting for enrolment has no passphrase: it fails like an unknown name.
    stored = organiser.passphrase_hash if organiser else None
    matches = await _in_kdf_thread(
        passwords.verify_passphrase, stored or _decoy_hash(), attempt.passphrase, name=key
    )
    if organiser and matches and organiser.has_totp:
        matches = await recovery.accept_second_factor(
            organiser, attempt.totp_code, field_key=field_key, secret_key=policy.secret_key
        )
    if not (organiser and stored and organiser.wrapped_private_key and matches):
        await throttle.failed(key, policy.names)
        raise LoginFailed
    if organiser.disabled:  # told only to whoever proved the passphrase
        raise AccountDisabled
    throttle.succeeded(key, policy.names)
    # Not counted against the name's places: those are for guesses, and this one was right.
    private_key = await _in_kdf_thread(
        keywrap.unwrap_private_key, organiser.wrapped_private_key, attempt.passphrase
    )
    return organiser, private_key


@dataclass(frozen=True)
class ThrottlePolicy:
    """What passphrase checks need to count failures per name (docs/operating.md, "Limits")."""

    secret_key: bytes = field(repr=False)
    names: NameFailures

    @classmethod
    def of(cls, runtime: Runtime) -> ThrottlePolicy:
        return cls(secret_key=runtime.secret_key, names=runtime.limits.names)


async def passphrase_matches(
    organiser: Organiser, passphrase: str, policy: ThrottlePolicy, *, field: str = "passphrase"
) -> bool:
    """Check a signed-in organiser's passphrase, counted like a sign-in attempt.

    Otherwise a stolen session (or a form left open) would be an unthrottled guessing oracle.
    """
    check_passphrase_length(passphrase, field=field)
    if not passphrase:
        return False  # an empty field is a slip, not a guess: not worth an attempt
    if organiser.passphrase_hash is None:
        return False
    key = throttle.throttle_key(organiser.username, policy.secret_key)
    matches = await _in_kdf_thread(
        passwords.verify_passphrase, organiser.passphrase_hash, passphrase, name=key
    )
    if matches:
        throttle.succeeded(key, policy.names)
    else:
        await throttle.failed(key, policy.names)
    return matches


async def change_passphrase(
    organiser: Organiser, current: str, new: str, policy: ThrottlePolicy
) -> None:
    """Re-hash, re-wrap the private key, and end every session and API token of the account."""
    check_passphrase(new, username=organiser.username, field="new_passphrase")
    if not await passphrase_matches(organiser, current, policy, field="current_passphrase"):
        raise AccountError(
            _l("The current passphrase is not right."),
            field="current_passphrase",
            code="wrong_passphrase",
        )

    wrapped_now = organiser.wrapped_private_key
    if wrapped_now is None:  # unreachable: a passphrase matched, so the account is enrolled
        raise AccountError(_l("This account has no key yet."), code="not_enrolled")

    # The same key pair, wrapped under the new passphrase: what is sealed to it stays readable.
    def rehash() -> tuple[bytes, bytes]:
        stored = passwords.hash_passphrase(new, opslimit=KDF_OPSLIMIT, memlimit=KDF_MEMLIMIT)
        wrapped = keywrap.rewrap_private_key(
            wrapped_now,
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
        # A passphrase change is often the answer to a suspected leak: tokens go too.
        await sessions.end_access(organiser)


async def confirm_passphrase(organiser: Organiser, passphrase: str, policy: ThrottlePolicy) -> None:
    """Refused unless `passphrase` is the account's (counted like a sign-in attempt)."""
    if not await passphrase_matches(organiser, passphrase, policy):
        raise AccountError(
            _l("The passphrase is not right."), field="passphrase", code="wrong_passphrase"
        )


async def enable_totp(
    organiser: Organiser,
    *,
    secret: str,
    code: str,
    passphrase: str,
    policy: ThrottlePolicy,
    field_key: bytes,
) -> None:
    """Turn two-step sign-in on, once the code shows the person's app holds `secret`.

    A second factor is a credential: setting one needs the first (the passphrase).
    """
    if not totp.is_well_formed_secret(secret):
        # Not a secret this server made (an old page, or edited): the setup starts again.
        raise AccountError(
            _l("The setup expired; start again."), field="secret", code="setup_expired"
        )
    await confirm_passphrase(organiser, passphrase, policy)
    step = totp.enrolment_step(secret, code)
    if step is None:
        raise AccountError(
            _l("That code does not match. Check the app and try again."),
            field="code",
            code="wrong_code",
        )
    await totp.enable(organiser, secret, step, field_key=field_key)


async def disable_totp(organiser: Organiser, passphrase: str, policy: ThrottlePolicy) -> None:
    await confirm_passphrase(organiser, passphrase, policy)
    await totp.disable(organiser)
    await recovery.forget(organiser)
