"""Wrong passphrases per account name: slowed down, never locked out.

Counted per account name (a keyed hash of it), never per client address, which we do not know;
in this process's memory only (`organise.ratelimit.NameFailures`), so nothing records which
accounts were guessed at. Unknown names are counted the same way, so nothing here tells which
names exist.

A failure is counted after its check; past the first few in a row, the answer to each further
failure is held back (1 s, doubling up to 30 s). The right passphrase is never held back and
never refused: it is checked like any other, answered at once, and clears the count. So a flood
of wrong passphrases for one name slows one-at-a-time guessing, and cannot keep the account's
holder out. What bounds guesses sent in parallel is the cap on passphrase checks running at
once (`accounts.KDF_AT_ONCE`), each an Argon2id run of 256 MiB.
"""

from __future__ import annotations

import asyncio

from crypto import codes
from organise.ratelimit import NameFailures

# Module attribute, so that tests can see the delays instead of waiting them out.
pause = asyncio.sleep


def throttle_key(username: str, secret_key: bytes) -> str:
    # Keyed hash of the name: even the process's memory does not list which names were tried.
    return codes.code_hash(username, secret_key, kind="login").hex()


async def failed(key: str, names: NameFailures) -> None:
    """Count a wrong passphrase for this name, and hold the answer back if it is one of many."""
    delay = names.failed(key)
    if delay > 0:
        await pause(delay)


def succeeded(key: str, names: NameFailures) -> None:
    """The right passphrase was given: start counting afresh."""
    names.succeeded(key)
