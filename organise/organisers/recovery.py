"""Two-step sign-in recovery codes: ten one-time codes, shown once, kept as keyed hashes.

Made when two-step sign-in is turned on, and again (replacing the old ones) from the account
page. A code stands in for the app's code at sign-in, and when a passphrase reset asks for the
second factor; each works once (its row is deleted as it is used, by one conditional delete,
so two sign-ins with the same code cannot both win).
"""

from __future__ import annotations

import re
import secrets

from tortoise.transactions import in_transaction

from crypto import codes
from organise.organisers import totp
from organise.organisers.models import Organiser, RecoveryCode

COUNT = 10
CHARS = 16  # 16 Crockford base32 characters: 80 bits, shown in groups of 4
GROUP = 4
HASH_KIND = "recover"
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.]+")
_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_ALPHABET = frozenset(codes.CROCKFORD_ALPHABET)


def _new_raw() -> str:
    return "".join(secrets.choice(codes.CROCKFORD_ALPHABET) for _ in range(CHARS))


def _shown(raw: str) -> str:
    return "-".join(raw[i : i + GROUP] for i in range(0, CHARS, GROUP))


def normalise(text: str) -> str | None:
    """The code's canonical form, or None if `text` cannot be a recovery code."""
    if len(text) > 4 * CHARS:
        return None
    cleaned = _SEPARATORS.sub("", text).upper().translate(_LOOKALIKES)
    if len(cleaned) != CHARS or not set(cleaned) <= _ALPHABET:
        return None
    return cleaned


def _hash(normalised: str, secret_key: bytes) -> str:
    return codes.code_hash(normalised, secret_key, kind=HASH_KIND).hex()


async def new_codes(organiser: Organiser, *, secret_key: bytes) -> list[str]:
    """Ten fresh codes for the account (the earlier ones stop working); shown once."""
    made = [_new_raw() for _ in range(COUNT)]
    async with in_transaction():
        await RecoveryCode.filter(organiser_id=organiser.id).delete()
        await RecoveryCode.bulk_create(
            [RecoveryCode(code_hash=_hash(raw, secret_key), organiser=organiser) for raw in made]
        )
    return [_shown(raw) for raw in made]


async def remaining(organiser: Organiser) -> int:
    return await RecoveryCode.filter(organiser_id=organiser.id).count()


async def forget(organiser: Organiser) -> None:
    await RecoveryCode.filter(organiser_id=organiser.id).delete()


async def use_code(organiser: Organiser, text: str, *, secret_key: bytes) -> bool:
    """True once for one of the account's codes; the code is gone afterwards."""
    normalised = normalise(text)
    if normalised is None:
        return False
    deleted = await RecoveryCode.filter(
        organiser_id=organiser.id, code_hash=_hash(normalised, secret_key)
    ).delete()
    return deleted == 1


async def accept_second_factor(
    organiser: Organiser, text: str, *, field_key: bytes, secret_key: bytes
) -> bool:
    """The app's code, or else one recovery code (used up), for an account with two-step on."""
    if await totp.accept_code(organiser, text, field_key=field_key):
        return True
    return await use_code(organiser, text, secret_key=secret_key)
