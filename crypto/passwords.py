"""Login passphrases: Argon2id hashes in libsodium's self-describing string format.

Passphrases are NFC-normalised before hashing, so the same words typed on different systems
(composed or decomposed accents) give the same hash.
"""

from __future__ import annotations

import re
import unicodedata

import nacl.exceptions
import nacl.pwhash

from crypto.errors import CryptoError

MODERATE_OPS: int = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MODERATE_MEM: int = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
MAX_PASSPHRASE_BYTES = 1024  # refuse longer input before hashing (it costs us, not them)

_PARAMS = re.compile(rb"^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$")


def encode_passphrase(passphrase: str) -> bytes:
    """NFC-normalised UTF-8 bytes of ``passphrase``; ValueError if empty or too long."""
    if not isinstance(passphrase, str):
        raise TypeError("A passphrase must be text.")
    data = unicodedata.normalize("NFC", passphrase).encode("utf-8", errors="strict")
    if not data:
        raise ValueError("The passphrase is empty.")
    if len(data) > MAX_PASSPHRASE_BYTES:
        raise ValueError(f"The passphrase is longer than {MAX_PASSPHRASE_BYTES} bytes.")
    return data


def hash_passphrase(
    passphrase: str, *, opslimit: int = MODERATE_OPS, memlimit: int = MODERATE_MEM
) -> bytes:
    """Argon2id hash (``$argon2id$v=19$m=...``) with a fresh random salt."""
    return nacl.pwhash.argon2id.str(encode_passphrase(passphrase), opslimit, memlimit)


def verify_passphrase(stored: bytes | str, passphrase: str) -> bool:
    """True if ``passphrase`` matches; False for a wrong, empty or over-long one.

    Raises CryptoError only if ``stored`` is not an Argon2id hash (a server-side problem).
    """
    if isinstance(stored, str):
        stored = stored.encode("ascii", errors="replace")
    if not stored.startswith(b"$argon2id$"):
        raise CryptoError("The stored passphrase hash is not an Argon2id hash.")
    try:
        data = encode_passphrase(passphrase)
    except ValueError:
        return False
    try:
        return nacl.pwhash.argon2id.verify(stored, data)
    except nacl.exceptions.InvalidkeyError:
        return False


def needs_rehash(
    stored: bytes | str, *, opslimit: int = MODERATE_OPS, memlimit: int = MODERATE_MEM
) -> bool:
    """True if ``stored`` was made with weaker limits than asked for (rehash after login)."""
    if isinstance(stored, str):
        stored = stored.encode("ascii", errors="replace")
    match = _PARAMS.match(stored)
    if match is None:
        return True
    memory_kib, time_cost = int(match.group(1)), int(match.group(2))
    return memory_kib * 1024 < memlimit or time_cost < opslimit
