"""Keystore entries wrapped under the key-encryption key (KEK) of an epoch.

A keystore that lives in a shared database (``organise.keystore.shared``) cannot promise that a
deleted row is gone: PostgreSQL keeps dead rows until a vacuum, in its write-ahead log, on its
replicas and in every backup. So each value is stored wrapped under the KEK of the epoch it was
written in, and that KEK never reaches the database. Once every live entry has been re-wrapped
under the next epoch's KEK, the old KEK is destroyed, and every old copy of the database becomes
a pile of entries nobody can unwrap: a deleted key is gone from backups one epoch later.

The wrapping is libsodium's XChaCha20-Poly1305 (IETF) AEAD with a random 24-byte nonce stored in
front of the ciphertext. The associated data binds the entry's name and epoch, so a wrapped value
cannot be moved to another name (one pledge's key answered for another) or relabelled with another
epoch without failing to open.
"""

from __future__ import annotations

import nacl.bindings
import nacl.exceptions
import nacl.utils

from crypto.errors import KeystoreError

KEK_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_KEYBYTES
NONCE_BYTES = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_NPUBBYTES
OVERHEAD = NONCE_BYTES + nacl.bindings.crypto_aead_xchacha20poly1305_ietf_ABYTES
# Epochs are numbered 1, 2, 3...; eight bytes in the associated data, whatever their size.
MAX_EPOCH = 2**63 - 1
_DOMAIN = b"organise/keystore-entry/v1\x00"


def new_kek() -> bytes:
    """A fresh key-encryption key (what an operator's secret manager would generate)."""
    return nacl.utils.random(KEK_BYTES)


def check_epoch(epoch: int) -> int:
    if isinstance(epoch, bool) or not isinstance(epoch, int) or not 1 <= epoch <= MAX_EPOCH:
        raise KeystoreError(f"An epoch is a whole number from 1 to {MAX_EPOCH}.")
    return epoch


def _check_kek(kek: bytes) -> bytes:
    if not isinstance(kek, bytes) or len(kek) != KEK_BYTES:
        raise KeystoreError(f"A key-encryption key is exactly {KEK_BYTES} bytes.")
    return kek


def associated_data(name: str, epoch: int) -> bytes:
    """What the wrapping is bound to: a fixed label, the epoch (8 bytes), then the name.

    The epoch has a fixed width and the name comes last, so no two (name, epoch) pairs give the
    same bytes.
    """
    if not isinstance(name, str) or not name:
        raise KeystoreError("A keystore name must be a non-empty string.")
    return _DOMAIN + check_epoch(epoch).to_bytes(8, "big") + name.encode("utf-8")


def wrap(kek: bytes, epoch: int, name: str, value: bytes) -> bytes:
    """``value`` encrypted under ``kek``, bound to ``name`` and ``epoch``: nonce || ciphertext."""
    nonce = nacl.utils.random(NONCE_BYTES)
    sealed = nacl.bindings.crypto_aead_xchacha20poly1305_ietf_encrypt(
        bytes(value), associated_data(name, epoch), nonce, _check_kek(kek)
    )
    return nonce + sealed


def unwrap(kek: bytes, epoch: int, name: str, wrapped: bytes) -> bytes:
    """The value inside ``wrapped``; KeystoreError if the KEK, name or epoch do not match."""
    aad = associated_data(name, epoch)
    if len(wrapped) < OVERHEAD:
        raise KeystoreError(f"The keystore entry {name!r} is damaged (too short).")
    try:
        return nacl.bindings.crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(wrapped[NONCE_BYTES:]), aad, bytes(wrapped[:NONCE_BYTES]), _check_kek(kek)
        )
    except nacl.exceptions.CryptoError:
        raise KeystoreError(
            f"The keystore entry {name!r} does not open under the key-encryption key of epoch "
            f"{epoch}: it was altered, moved, or wrapped under another key."
        ) from None


def rewrap(
    old_kek: bytes, old_epoch: int, new_kek: bytes, new_epoch: int, name: str, wrapped: bytes
) -> bytes:
    """The same value, unwrapped from the old epoch and wrapped under the new one."""
    return wrap(new_kek, new_epoch, name, unwrap(old_kek, old_epoch, name, wrapped))
