"""Small fields the server must read back itself (e.g. TOTP secrets), encrypted at rest.

Blob: ``version (1) | nonce (24) | XChaCha20-Poly1305 ciphertext | tag (16)``. The associated
data is a domain tag plus ``context``, a string naming where the field lives (for example
``"totp:organiser:<id>"``), so a ciphertext copied into another row or column fails to open.
The field key itself belongs in the keystore, never in the database.
"""

from __future__ import annotations

import nacl.exceptions
import nacl.secret
import nacl.utils

from crypto.errors import EnvelopeError

FIELD_VERSION = 1
FIELD_KEY_BYTES = nacl.secret.Aead.KEY_SIZE

_VERSION_BYTE = bytes([FIELD_VERSION])
_TAG = b"organise/field/v1\x00"
_MIN_BLOB = 1 + nacl.secret.Aead.NONCE_SIZE + nacl.secret.Aead.MACBYTES


def new_field_key() -> bytes:
    """A fresh random 32-byte key for ``encrypt_field``."""
    return nacl.utils.random(FIELD_KEY_BYTES)


def _aad(context: str) -> bytes:
    if not context:
        raise ValueError("A context is required: it names where the field is stored.")
    return _VERSION_BYTE + _TAG + context.encode("utf-8")


def encrypt_field(key: bytes, plaintext: bytes, *, context: str) -> bytes:
    """Encrypt ``plaintext`` under ``key``, bound to ``context``."""
    return _VERSION_BYTE + nacl.secret.Aead(key).encrypt(bytes(plaintext), _aad(context))


def decrypt_field(key: bytes, blob: bytes, *, context: str) -> bytes:
    """Decrypt a field; EnvelopeError if the key or context is wrong or the blob was altered."""
    aad = _aad(context)
    if len(blob) < _MIN_BLOB or blob[0] != FIELD_VERSION:
        raise EnvelopeError("Not an encrypted field, or an unknown version.")
    try:
        return nacl.secret.Aead(key).decrypt(blob[1:], aad)
    except nacl.exceptions.CryptoError:
        raise EnvelopeError(
            "The encrypted field cannot be opened: wrong key, wrong context, or altered."
        ) from None
