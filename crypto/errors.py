"""Exceptions raised by the crypto package.

Messages are meant to be shown to people: they say what went wrong and, where possible, what to
do, but never contain key material, plaintext or the words of a secret code.
"""

from __future__ import annotations

from typing import Literal

ShareProblem = Literal["malformed", "checksum", "foreign", "duplicate", "insufficient", "mismatch"]


class CryptoError(Exception):
    """Base class for every error this package raises on purpose."""


class PlaintextTooLarge(CryptoError):
    """The encoded record does not fit in the fixed pledge bucket."""


class EnvelopeError(CryptoError):
    """An envelope or sealed blob cannot be opened: tampered, mismatched binding or wrong key."""


class WrongPassphrase(CryptoError):
    """The passphrase does not unlock the wrapped key (or the wrapped blob was altered)."""


class ShareError(CryptoError):
    """A gate share, or a set of gate shares, cannot be used.

    ``index`` is the 0-based position of the offending share in the list the caller gave
    (``None`` when the problem is with the set as a whole); messages count from 1, as people do
    ("Share 2" is index 1). ``reason`` is one of ``ShareProblem``:

    - "malformed": not SLIP-39 words, or the wrong number of them;
    - "checksum": the words fail the SLIP-39 checksum (a word is mistyped);
    - "foreign": a share of another campaign or another deal;
    - "duplicate": the same share given twice;
    - "insufficient": the set does not meet the threshold (the message says what is missing);
    - "mismatch": the shares combine, but not into this campaign's key.
    """

    def __init__(self, message: str, *, reason: ShareProblem, index: int | None = None) -> None:
        super().__init__(message)
        self.reason: ShareProblem = reason
        self.index: int | None = index


class CodeFormatError(CryptoError):
    """Input is not a well-formed invite code or receipt, even after normalisation."""


class KeystoreError(CryptoError):
    """The keystore refused an operation (e.g. a key name that already exists)."""


class StreamError(EnvelopeError):
    """A chunked stream (``crypto.streams``) is cut short, out of order, spliced or altered."""
