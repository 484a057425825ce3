"""Pledge envelopes: a pledge record, padded, sealed to the campaign key, locked by a pledge key.

Layout of an envelope (``envelope_length()`` bytes, the same for every pledge of every campaign)::

    version (1) | nonce (24) | XChaCha20-Poly1305 ciphertext of LAYER 1 (4176) | tag (16)

    LAYER 1 = SealedBox(campaign public key,
                        binding digest (32) | sodium_pad(canonical JSON record, 4096))

- Layer 1 (``SealedBox``) can only be opened with the campaign private key, which exists whole
  only after the gate opens (see ``crypto.gate``).
- Layer 2 (``nacl.secret.Aead``, XChaCha20-Poly1305) uses a fresh 32-byte key per pledge, kept in
  the keystore. Deleting that key (withdrawal, expiry) makes the envelope unreadable for good,
  even to whoever later holds the campaign private key. Its associated data is
  ``version | binding``.
- The *binding* encodes a domain tag and both ids, each length-prefixed, so ("ab", "c") and
  ("a", "bc") differ. Layer 2 authenticates it directly. Layer 1 carries a BLAKE2b digest of it
  inside the sealed box, checked on open: whoever holds pledge keys (the server) could otherwise
  unwrap layer 2 of pledge A and re-wrap A's sealed box as pledge B, duplicating a real signer's
  words under another pledge. Anyone with the public key can still seal a *new* forged pledge;
  the binding stops transplanting genuine ones, not forgery.
- Padding to one bucket means the length of an envelope says nothing about what was typed.
"""

from __future__ import annotations

import hmac
import json
import struct
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.secret
import nacl.utils

from crypto.errors import EnvelopeError, PlaintextTooLarge

ENVELOPE_VERSION = 1
PLEDGE_BUCKET = 4096
# sodium_pad always adds at least one byte, so a bucket of 4096 holds at most 4095.
PLEDGE_PLAINTEXT_CAP = PLEDGE_BUCKET - 1
PLEDGE_KEY_BYTES = nacl.secret.Aead.KEY_SIZE

RecordValue = str | int | bool | None

_VERSION_BYTE = bytes([ENVELOPE_VERSION])
_BINDING_TAG = b"organise/pledge-envelope/v1"
_INNER_PERSON = b"org-pledge-bind1"  # BLAKE2b personalisation: at most 16 bytes
_INNER_BINDING_BYTES = 32
_LAYER1_PLAINTEXT_BYTES = _INNER_BINDING_BYTES + PLEDGE_BUCKET
_LAYER1_BYTES = nacl.bindings.crypto_box_SEALBYTES + _LAYER1_PLAINTEXT_BYTES
_ENVELOPE_BYTES = (
    len(_VERSION_BYTE) + nacl.secret.Aead.NONCE_SIZE + _LAYER1_BYTES + nacl.secret.Aead.MACBYTES
)


@dataclass(frozen=True)
class SealedPledge:
    """What ``seal_pledge`` produces: store ``envelope`` in the database, ``pledge_key`` in the
    keystore, never both in the same place."""

    envelope: bytes
    pledge_key: bytes = field(repr=False)  # keep the key out of logs and tracebacks


def envelope_length() -> int:
    """The length in bytes of every pledge envelope."""
    return _ENVELOPE_BYTES


def encode_record(record: Mapping[str, RecordValue]) -> bytes:
    """Canonical JSON of a flat record: sorted keys, no whitespace, UTF-8.

    Only strings, integers, booleans and None are accepted, so the encoding is deterministic and
    a record never smuggles in structure the reader does not expect.
    """
    for key, value in record.items():
        if not isinstance(key, str):
            raise TypeError("Pledge record keys must be strings.")
        if value is not None and not isinstance(value, str | int | bool):
            raise TypeError(
                f"Pledge record value for {key!r} must be a string, integer, boolean or None, "
                f"not {type(value).__name__}."
            )
    text = json.dumps(
        dict(record), sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("Pledge record contains text that cannot be encoded as UTF-8.") from None


def decode_record(data: bytes) -> dict[str, Any]:
    """Inverse of ``encode_record``; raises ValueError if ``data`` is not a JSON object."""
    try:
        record = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ValueError("Pledge record is not valid UTF-8 JSON.") from None
    if not isinstance(record, dict):
        raise ValueError("Pledge record is not a JSON object.")
    return record


def _binding(campaign_id: str, pledge_id: str) -> bytes:
    """Unambiguous encoding of the domain tag and both ids (each length-prefixed)."""
    parts = [_BINDING_TAG]
    for label, value in (("campaign id", campaign_id), ("pledge id", pledge_id)):
        if not isinstance(value, str) or not value:
            raise ValueError(f"The {label} must be a non-empty string.")
        try:
            encoded = value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError(f"The {label} cannot be encoded as UTF-8.") from None
        parts.append(struct.pack(">I", len(encoded)))
        parts.append(encoded)
    return b"".join(parts)


def associated_data(campaign_id: str, pledge_id: str) -> bytes:
    """Layer 2's associated data.

    ``version | tag | u32 length | campaign id | u32 length | pledge id`` (UTF-8, big-endian).
    """
    return _VERSION_BYTE + _binding(campaign_id, pledge_id)


def _inner_binding(binding: bytes) -> bytes:
    return nacl.hash.blake2b(
        binding,
        digest_size=_INNER_BINDING_BYTES,
        person=_INNER_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )


def seal_pledge(
    record: Mapping[str, RecordValue],
    *,
    campaign_public_key: bytes,
    campaign_id: str,
    pledge_id: str,
) -> SealedPledge:
    """Encrypt a pledge record; see the module docstring for the layout.

    Raises PlaintextTooLarge before any encryption if the encoded record exceeds
    ``PLEDGE_PLAINTEXT_CAP`` bytes.
    """
    data = encode_record(record)
    if len(data) > PLEDGE_PLAINTEXT_CAP:
        raise PlaintextTooLarge(
            f"The pledge is {len(data)} bytes once encoded; the limit is "
            f"{PLEDGE_PLAINTEXT_CAP} bytes. Please shorten it."
        )
    binding = _binding(campaign_id, pledge_id)
    recipient = nacl.public.PublicKey(campaign_public_key)

    padded = nacl.bindings.sodium_pad(data, PLEDGE_BUCKET)
    layer1 = nacl.public.SealedBox(recipient).encrypt(_inner_binding(binding) + padded)

    pledge_key = nacl.utils.random(PLEDGE_KEY_BYTES)
    # Aead.encrypt picks a random 24-byte nonce and returns nonce | ciphertext | tag.
    layer2 = nacl.secret.Aead(pledge_key).encrypt(layer1, _VERSION_BYTE + binding)
    envelope = _VERSION_BYTE + layer2
    if len(envelope) != _ENVELOPE_BYTES:  # a fixed length is a promise; never break it silently
        raise AssertionError("pledge envelope has an unexpected length")
    return SealedPledge(envelope=envelope, pledge_key=pledge_key)


def open_pledge(
    envelope: bytes,
    *,
    pledge_key: bytes,
    campaign_private_key: nacl.public.PrivateKey,
    campaign_id: str,
    pledge_id: str,
) -> dict[str, Any]:
    """Open both layers and check both bindings; raise EnvelopeError naming the failing layer."""
    if len(envelope) != _ENVELOPE_BYTES:
        raise EnvelopeError(
            f"Not a pledge envelope: it is {len(envelope)} bytes, every envelope is "
            f"{_ENVELOPE_BYTES} bytes."
        )
    if envelope[0] != ENVELOPE_VERSION:
        raise EnvelopeError(f"Unknown pledge envelope version {envelope[0]}.")
    if len(pledge_key) != PLEDGE_KEY_BYTES:
        raise EnvelopeError(f"A pledge key is {PLEDGE_KEY_BYTES} bytes; got {len(pledge_key)}.")
    if not isinstance(campaign_private_key, nacl.public.PrivateKey):
        raise TypeError("campaign_private_key must be a nacl.public.PrivateKey.")
    binding = _binding(campaign_id, pledge_id)

    try:
        layer1 = nacl.secret.Aead(pledge_key).decrypt(envelope[1:], _VERSION_BYTE + binding)
    except nacl.exceptions.CryptoError:
        raise EnvelopeError(
            "Layer 2 (pledge key) failed: wrong pledge key, wrong campaign or pledge id, "
            "or the envelope was altered."
        ) from None

    try:
        inner = nacl.public.SealedBox(campaign_private_key).decrypt(layer1)
    except nacl.exceptions.CryptoError:
        raise EnvelopeError(
            "Layer 1 (campaign key) failed: wrong campaign key, or the sealed pledge was altered."
        ) from None

    if not hmac.compare_digest(inner[:_INNER_BINDING_BYTES], _inner_binding(binding)):
        raise EnvelopeError(
            "Layer 1 binding failed: this sealed pledge was made for a different campaign "
            "or pledge."
        )
    try:
        data = nacl.bindings.sodium_unpad(inner[_INNER_BINDING_BYTES:], PLEDGE_BUCKET)
    except nacl.exceptions.CryptoError:
        raise EnvelopeError("Layer 1 padding is invalid.") from None
    try:
        return decode_record(data)
    except ValueError:
        raise EnvelopeError("Layer 1 content is not a well-formed pledge record.") from None
