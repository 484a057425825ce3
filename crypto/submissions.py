"""Submission records: a reload shows the same outcome again, and the server alone reads nothing.

A worker's form carries a one-time submission token (in the form's address; for the JSON API,
the ``Idempotency-Key`` header): 32 to 128 characters of ``A-Z a-z 0-9 _ -``. The first
submission with a token does the work; the app keeps a small record so that the same token with
the same content shows the same outcome (the same receipt) again. Every value of that record is
keyed by the token and a *day key*: 32 random bytes kept in the keystore, one per UTC day, and
deleted 48 hours after its day began.

::

    lookup      = BLAKE2b-256(token, key = day key, person "org-sub-lookup")   the row's id
    print key   = BLAKE2b-256(token, key = day key, person "org-sub-print")
    box key     = BLAKE2b-256(token, key = day key, person "org-sub-box")
    fingerprint = BLAKE2b-256(content, key = print key)
    outcome     = SecretBox(BLAKE2b-256(content, key = box key),
                            sodium_pad(outcome, OUTCOME_BLOCK))
    day mark    = BLAKE2b-256(lookup, key = day key, person "org-sub-day")

``content`` is the caller's canonical encoding of the normalised fields submitted. The outcome
is opened only with the token, the day key *and* the exact content, so neither a copy of the
database with the keystore nor a token from a seized browser history opens it alone. The day
mark lets housekeeping find the records whose day key is gone, without any time in the row.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass, field
from typing import TypeGuard

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.secret
import nacl.utils

from crypto.errors import EnvelopeError

DAY_KEY_BYTES = 32
HASH_BYTES = 32
TOKEN_MIN_CHARS = 32
TOKEN_MAX_CHARS = 128
TOKEN_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{{TOKEN_MIN_CHARS},{TOKEN_MAX_CHARS}}}")
# Outcomes are padded to a multiple of this many bytes, so their length says nothing about
# what they hold (a receipt alone, or a receipt and five onward invite codes).
OUTCOME_BLOCK = 512

_LOOKUP = b"org-sub-lookup"
_PRINT = b"org-sub-print"
_BOX = b"org-sub-box"
_DAY = b"org-sub-day"


def new_day_key() -> bytes:
    """A fresh day key (32 random bytes), to be kept in the keystore."""
    return nacl.utils.random(DAY_KEY_BYTES)


def is_token(text: object) -> TypeGuard[str]:
    """Whether ``text`` is a well-formed submission token (or Idempotency-Key)."""
    return isinstance(text, str) and TOKEN_PATTERN.fullmatch(text) is not None


def _keyed(data: bytes, key: bytes, person: bytes = b"") -> bytes:
    return nacl.hash.blake2b(
        data, digest_size=HASH_BYTES, key=key, person=person, encoder=nacl.encoding.RawEncoder
    )


def _check_day_key(day_key: bytes) -> bytes:
    if len(day_key) != DAY_KEY_BYTES:
        raise ValueError(f"A day key is {DAY_KEY_BYTES} bytes (new_day_key gives them).")
    return bytes(day_key)


def day_mark(lookup: bytes, day_key: bytes) -> bytes:
    """The mark saying which day key a record was made under (see the module's docstring)."""
    return _keyed(bytes(lookup), _check_day_key(day_key), _DAY)


def hashes_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a, b)


@dataclass(frozen=True)
class SubmissionKeys:
    """What one token and one day key give: the record's id, and the keys of its content."""

    lookup: bytes
    mark: bytes
    _print_key: bytes = field(repr=False)
    _box_key: bytes = field(repr=False)

    def fingerprint(self, content: bytes) -> bytes:
        """The keyed fingerprint of the submitted content."""
        return _keyed(bytes(content), self._print_key)

    def _box(self, content: bytes) -> nacl.secret.SecretBox:
        return nacl.secret.SecretBox(_keyed(bytes(content), self._box_key))

    def seal_outcome(self, content: bytes, outcome: bytes) -> bytes:
        """The outcome, padded and encrypted under a key of the token, day key and content."""
        padded = nacl.bindings.sodium_pad(bytes(outcome), OUTCOME_BLOCK)
        return bytes(self._box(content).encrypt(padded))

    def open_outcome(self, content: bytes, sealed: bytes) -> bytes:
        """The outcome again; EnvelopeError for another token, day key or content, or damage."""
        try:
            padded = self._box(content).decrypt(bytes(sealed))
            return bytes(nacl.bindings.sodium_unpad(padded, OUTCOME_BLOCK))
        except (nacl.exceptions.CryptoError, ValueError):
            raise EnvelopeError(
                "This submission record cannot be opened: another token, day or content, "
                "or it was altered."
            ) from None


def submission_keys(token: str, day_key: bytes) -> SubmissionKeys:
    """The keys of ``token`` under ``day_key``; ValueError for a malformed token."""
    if not is_token(token):
        raise ValueError(
            f"A submission token is {TOKEN_MIN_CHARS} to {TOKEN_MAX_CHARS} characters of "
            "A-Z, a-z, 0-9, '_' and '-'."
        )
    day_key = _check_day_key(day_key)
    raw = token.encode("ascii")
    lookup = _keyed(raw, day_key, _LOOKUP)
    return SubmissionKeys(
        lookup=lookup,
        mark=day_mark(lookup, day_key),
        _print_key=_keyed(raw, day_key, _PRINT),
        _box_key=_keyed(raw, day_key, _BOX),
    )
