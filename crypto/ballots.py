"""Survey answers sealed on arrival: padded to one length per survey, then a libsodium sealed box.

Blob layout::

    SealedBox(public key, binding digest (32) | sodium_pad(plaintext, bucket))

- The public key is one of the survey's key pairs (the tally key for choices, a second key for
  text answers); the private halves are kept in the keystore and destroyed at the release.
- ``bucket`` is fixed per survey and per kind of answer, computed from the survey's definition
  so that every possible answer fits: every blob of one survey and kind has the same length,
  whatever was ticked or typed. A plaintext that does not fit is refused (PlaintextTooLarge).
- The binding digest is BLAKE2b-256 of a domain tag and ``context`` (the survey and the kind of
  answer), checked on opening: a blob copied from another survey, or from the text column to
  the choices column, does not open. It does not authenticate the sender: anyone holding the
  public key can seal a new blob (what limits who may answer is the invite code).
"""

from __future__ import annotations

import hmac

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public

from crypto.errors import EnvelopeError, PlaintextTooLarge

BINDING_BYTES = 32
PRIVATE_KEY_BYTES = nacl.public.PrivateKey.SIZE
_PERSON = b"org-ballot-bind1"
_TAG = b"organise/survey-answer/v1\x00"


def new_key_pair() -> tuple[bytes, bytes]:
    """A fresh X25519 key pair: (public key, private key), raw 32 bytes each."""
    private = nacl.public.PrivateKey.generate()
    return private.public_key.encode(), private.encode()


def _binding(context: str) -> bytes:
    if not context:
        raise ValueError("A context is required: it names the survey and the kind of answer.")
    return nacl.hash.blake2b(
        _TAG + context.encode("utf-8"),
        digest_size=BINDING_BYTES,
        person=_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )


def sealed_length(bucket: int) -> int:
    """The length of every blob sealed with this bucket."""
    return nacl.bindings.crypto_box_SEALBYTES + BINDING_BYTES + bucket


def seal(plaintext: bytes, public_key: bytes, *, bucket: int, context: str) -> bytes:
    """Pad `plaintext` to exactly `bucket` bytes and seal it to `public_key`."""
    if bucket < 2:
        raise ValueError("A bucket holds at least two bytes.")
    # sodium_pad always adds at least one byte: a bucket of n holds at most n - 1.
    if len(plaintext) >= bucket:
        raise PlaintextTooLarge(f"An answer is at most {bucket - 1} bytes once encoded.")
    padded = nacl.bindings.sodium_pad(bytes(plaintext), bucket)
    box = nacl.public.SealedBox(nacl.public.PublicKey(bytes(public_key)))
    return box.encrypt(_binding(context) + padded)


def open_sealed(blob: bytes, private_key: bytes, *, bucket: int, context: str) -> bytes:
    """The plaintext of a blob made by `seal`; EnvelopeError for a wrong key, survey or kind."""
    box = nacl.public.SealedBox(nacl.public.PrivateKey(bytes(private_key)))
    try:
        opened = box.decrypt(bytes(blob))
    except nacl.exceptions.CryptoError:
        raise EnvelopeError("This answer cannot be opened with this key.") from None
    binding, padded = opened[:BINDING_BYTES], opened[BINDING_BYTES:]
    if not hmac.compare_digest(binding, _binding(context)) or len(padded) != bucket:
        raise EnvelopeError("This answer belongs to another survey or kind of answer.")
    try:
        return nacl.bindings.sodium_unpad(padded, bucket)
    except (ValueError, nacl.exceptions.CryptoError):
        raise EnvelopeError("This answer has bad padding.") from None
