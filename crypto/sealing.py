"""Sealing a record to one or several organisers, so any one of them can open it with their key.

Blob layout (integers big-endian)::

    version (1) = 1 | recipient count (u16)                               <- header
    | per recipient: fingerprint (8) | SealedBox(content key) (80)        <- header
    | nonce (24) | XChaCha20-Poly1305(plaintext) | tag (16)

A fresh 32-byte content key encrypts the body; the content key is sealed (``SealedBox``) to each
recipient. The whole header, plus the caller's ``context`` (e.g. "report-details:<id>"), is the
body's associated data, so the recipient list cannot be altered and a blob cannot be moved to
another record with a different context. The fingerprint (BLAKE2b-64 of the public key) only
lets a recipient find their entry; it reveals which known keys a blob is addressed to.

Limits: this gives confidentiality, not authenticity of the sender. Anyone with the public keys
can make a blob, and any recipient knows the content key and could build a different blob; the
integrity of the database row is what says who wrote it.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import nacl.bindings
import nacl.encoding
import nacl.exceptions
import nacl.hash
import nacl.public
import nacl.secret
import nacl.utils

from crypto.errors import EnvelopeError

SEALING_VERSION = 1
FINGERPRINT_BYTES = 8
MAX_RECIPIENTS = 1000

_PREFIX = struct.Struct(">BH")
_PERSON = b"org-recipient-fp"
_CONTEXT_TAG = b"organise/sealed-to-recipients/v1"
_KEY_BYTES = nacl.secret.Aead.KEY_SIZE
_SEALED_KEY_BYTES = nacl.bindings.crypto_box_SEALBYTES + _KEY_BYTES
_ENTRY_BYTES = FINGERPRINT_BYTES + _SEALED_KEY_BYTES
_MIN_BODY = nacl.secret.Aead.NONCE_SIZE + nacl.secret.Aead.MACBYTES


def fingerprint(public_key: bytes) -> bytes:
    """A short, public identifier of a recipient key (BLAKE2b, 8 bytes)."""
    return nacl.hash.blake2b(
        bytes(public_key),
        digest_size=FINGERPRINT_BYTES,
        person=_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )


def recipient_entries(content_key: bytes, recipient_public_keys: Sequence[bytes]) -> bytes:
    """``count (u16) | per recipient: fingerprint (8) | SealedBox(content key) (80)``.

    Shared by ``seal_to_recipients`` and ``crypto.streams``. Duplicate keys are sealed to once;
    ValueError for no recipients, too many, or a bad key.
    """
    unique = list(dict.fromkeys(bytes(key) for key in recipient_public_keys))
    if not unique:
        raise ValueError("Seal to at least one recipient.")
    if len(unique) > MAX_RECIPIENTS:
        raise ValueError(f"At most {MAX_RECIPIENTS} recipients.")
    entries = [struct.pack(">H", len(unique))]
    for key in unique:
        box = nacl.public.SealedBox(nacl.public.PublicKey(key))
        entries.append(fingerprint(key) + box.encrypt(content_key))
    return b"".join(entries)


def parse_recipient_entries(data: bytes, offset: int) -> tuple[list[tuple[bytes, bytes]], int]:
    """The entries written by ``recipient_entries`` at ``offset``, and the offset after them."""
    if len(data) < offset + 2:
        raise EnvelopeError("Not a sealed blob: too short.")
    (count,) = struct.unpack_from(">H", data, offset)
    end = offset + 2 + count * _ENTRY_BYTES
    if count == 0 or len(data) < end:
        raise EnvelopeError("Not a sealed blob: malformed recipient list.")
    entries = []
    for start in range(offset + 2, end, _ENTRY_BYTES):
        fp = data[start : start + FINGERPRINT_BYTES]
        sealed_key = data[start + FINGERPRINT_BYTES : start + _ENTRY_BYTES]
        entries.append((fp, sealed_key))
    return entries, end


def unseal_content_key(
    entries: Sequence[tuple[bytes, bytes]], private_key: nacl.public.PrivateKey
) -> bytes:
    """The content key sealed to ``private_key``; EnvelopeError if not addressed or altered."""
    mine = fingerprint(private_key.public_key.encode())
    candidates = [sealed for fp, sealed in entries if fp == mine]
    if not candidates:
        raise EnvelopeError("This sealed record is not addressed to this key.")
    box = nacl.public.SealedBox(private_key)
    for sealed in candidates:  # a fingerprint collision is harmless: try each match
        try:
            return box.decrypt(sealed)
        except nacl.exceptions.CryptoError:
            continue
    raise EnvelopeError("The sealed record's key entry for this key was altered.")


def replace_recipient(
    entries: Sequence[tuple[bytes, bytes]],
    content_key: bytes,
    old_private_key: nacl.public.PrivateKey,
    new_public_key: bytes,
) -> bytes:
    """``count | entries`` with the entry of ``old_private_key`` sealed to ``new_public_key``.

    For an organiser whose key pair is replaced: every other entry is kept as it is (its
    recipient still opens the same content key), the old key's entry is gone. EnvelopeError if
    no entry is the old key's; ValueError for a bad new key.
    """
    box = nacl.public.SealedBox(old_private_key)
    mine = fingerprint(old_private_key.public_key.encode())
    new_fingerprint = fingerprint(new_public_key)
    kept: list[bytes] = []
    replaced = False
    for fp, sealed in entries:
        if fp == mine and not replaced:
            try:
                box.decrypt(sealed)
            except nacl.exceptions.CryptoError:
                pass
            else:
                replaced = True
                continue
        if fp != new_fingerprint:  # sealed to the new key once, below
            kept.append(fp + sealed)
    if not replaced:
        raise EnvelopeError("This sealed record is not addressed to this key.")
    new_entry = new_fingerprint + nacl.public.SealedBox(
        nacl.public.PublicKey(bytes(new_public_key))
    ).encrypt(content_key)
    return struct.pack(">H", len(kept) + 1) + b"".join(kept) + new_entry


def _aad(header: bytes, context: str) -> bytes:
    encoded = context.encode("utf-8")
    return _CONTEXT_TAG + struct.pack(">I", len(encoded)) + encoded + header


def seal_to_recipients(
    plaintext: bytes, recipient_public_keys: Sequence[bytes], *, context: str = ""
) -> bytes:
    """Encrypt ``plaintext`` so that any one of the recipients can open it.

    Duplicate keys are sealed to once. Raises ValueError for no recipients or a bad key.
    """
    content_key = nacl.utils.random(_KEY_BYTES)
    header = bytes([SEALING_VERSION]) + recipient_entries(content_key, recipient_public_keys)
    body = nacl.secret.Aead(content_key).encrypt(bytes(plaintext), _aad(header, context))
    return header + body


def _parse(blob: bytes) -> tuple[bytes, list[tuple[bytes, bytes]], bytes]:
    if len(blob) < _PREFIX.size:
        raise EnvelopeError("Not a sealed blob: too short.")
    if blob[0] != SEALING_VERSION:
        raise EnvelopeError(f"Unknown sealed-blob version {blob[0]}.")
    entries, header_end = parse_recipient_entries(blob, 1)
    if len(blob) < header_end + _MIN_BODY:
        raise EnvelopeError("Not a sealed blob: malformed recipient list.")
    return blob[:header_end], entries, blob[header_end:]


def recipient_fingerprints(blob: bytes) -> list[bytes]:
    """The fingerprints of the keys a blob is addressed to (not authenticated on its own)."""
    _header, entries, _body = _parse(blob)
    return [fp for fp, _sealed in entries]


def open_sealed(blob: bytes, private_key: nacl.public.PrivateKey, *, context: str = "") -> bytes:
    """Open a blob with one recipient's private key; EnvelopeError if not addressed or altered."""
    header, entries, body = _parse(blob)
    content_key = unseal_content_key(entries, private_key)
    try:
        return nacl.secret.Aead(content_key).decrypt(body, _aad(header, context))
    except nacl.exceptions.CryptoError:
        raise EnvelopeError(
            "The sealed record was altered, or opened with the wrong context."
        ) from None


def reseal_to_new_key(
    blob: bytes,
    old_private_key: nacl.public.PrivateKey,
    new_public_key: bytes,
    *,
    context: str = "",
) -> bytes:
    """The same record, addressed to ``new_public_key`` in place of ``old_private_key``'s.

    The other recipients keep their entries and open the new blob as before; the old key opens
    it no more. The body is encrypted again under the same content key with a fresh nonce, since
    the recipient list it authenticates has changed. EnvelopeError if the blob is not addressed
    to the old key, or is altered.
    """
    plaintext = open_sealed(blob, old_private_key, context=context)
    _header, entries, _body = _parse(blob)
    content_key = unseal_content_key(entries, old_private_key)
    header = bytes([SEALING_VERSION]) + replace_recipient(
        entries, content_key, old_private_key, new_public_key
    )
    body = nacl.secret.Aead(content_key).encrypt(plaintext, _aad(header, context))
    return header + body
