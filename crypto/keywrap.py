"""Organiser key pairs: X25519, the private key wrapped under an Argon2id-derived key.

Wrapped blob (105 bytes), all integers big-endian::

    version (1) = 1 | opslimit (u64) | memlimit (u64) | salt (16)      <- header
    | nonce (24) | XChaCha20-Poly1305(private key (32)) | tag (16)

The wrapping key is ``argon2id(passphrase, salt, opslimit, memlimit)``. The header is the
associated data, so nobody can change the stored parameters undetected. Because the parameters
are read back from the blob, the unwrapping code also refuses limits outside a sane range before
running the KDF: a tampered database must not make us run Argon2id with trivial limits (a
downgrade) or with absurd ones (memory exhaustion). Changing the header also changes the derived
key, so a tampered header surfaces as WrongPassphrase -- the two cannot be told apart.

Defaults are libsodium's MODERATE limits (256 MiB, 3 passes). Passphrases are NFC-normalised.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import nacl.exceptions
import nacl.public
import nacl.pwhash
import nacl.secret
import nacl.utils

from crypto.errors import CryptoError, WrongPassphrase
from crypto.passwords import MODERATE_MEM, MODERATE_OPS, encode_passphrase

WRAP_VERSION = 1
DEFAULT_OPSLIMIT: int = MODERATE_OPS
DEFAULT_MEMLIMIT: int = MODERATE_MEM
# Limits accepted from a stored blob. The floor is libsodium's minimum (tests use it to stay
# fast); the ceiling keeps a tampered blob from asking for more than 4 GiB or 32 passes.
MIN_OPSLIMIT: int = nacl.pwhash.argon2id.OPSLIMIT_MIN
MIN_MEMLIMIT: int = nacl.pwhash.argon2id.MEMLIMIT_MIN
MAX_OPSLIMIT = 32
MAX_MEMLIMIT = 4 * 1024**3

_HEADER = struct.Struct(">BQQ16s")
_SALT_BYTES = nacl.pwhash.argon2id.SALTBYTES
_KEY_BYTES = nacl.secret.Aead.KEY_SIZE
_BLOB_BYTES = (
    _HEADER.size
    + nacl.secret.Aead.NONCE_SIZE
    + nacl.public.PrivateKey.SIZE
    + nacl.secret.Aead.MACBYTES
)


@dataclass(frozen=True)
class OrganiserKeys:
    """Store both in the database: the wrapped private key is useless without the passphrase."""

    public_key: bytes
    wrapped_private_key: bytes


def _check_limits(opslimit: int, memlimit: int) -> None:
    if not MIN_OPSLIMIT <= opslimit <= MAX_OPSLIMIT:
        raise CryptoError(
            f"Argon2id opslimit {opslimit} is outside the accepted range "
            f"{MIN_OPSLIMIT}..{MAX_OPSLIMIT}."
        )
    if not MIN_MEMLIMIT <= memlimit <= MAX_MEMLIMIT:
        raise CryptoError(
            f"Argon2id memlimit {memlimit} is outside the accepted range "
            f"{MIN_MEMLIMIT}..{MAX_MEMLIMIT}."
        )


def _wrap(
    private_key: nacl.public.PrivateKey, passphrase: str, opslimit: int, memlimit: int
) -> bytes:
    _check_limits(opslimit, memlimit)
    secret = encode_passphrase(passphrase)
    salt = nacl.utils.random(_SALT_BYTES)
    header = _HEADER.pack(WRAP_VERSION, opslimit, memlimit, salt)
    key = nacl.pwhash.argon2id.kdf(_KEY_BYTES, secret, salt, opslimit=opslimit, memlimit=memlimit)
    return header + nacl.secret.Aead(key).encrypt(private_key.encode(), header)


def generate_organiser_keys(
    passphrase: str, *, opslimit: int = DEFAULT_OPSLIMIT, memlimit: int = DEFAULT_MEMLIMIT
) -> OrganiserKeys:
    """A fresh organiser key pair, the private half wrapped under ``passphrase``."""
    private_key = nacl.public.PrivateKey.generate()
    wrapped = _wrap(private_key, passphrase, opslimit, memlimit)
    return OrganiserKeys(public_key=private_key.public_key.encode(), wrapped_private_key=wrapped)


def wrapped_parameters(wrapped: bytes) -> tuple[int, int]:
    """(opslimit, memlimit) stored in a wrapped blob; CryptoError if it is not one."""
    if len(wrapped) != _BLOB_BYTES:
        raise CryptoError(
            f"Not a wrapped organiser key: {len(wrapped)} bytes instead of {_BLOB_BYTES}."
        )
    version, opslimit, memlimit, _salt = _HEADER.unpack_from(wrapped)
    if version != WRAP_VERSION:
        raise CryptoError(f"Unknown wrapped-key version {version}.")
    return opslimit, memlimit


def unwrap_private_key(wrapped: bytes, passphrase: str) -> nacl.public.PrivateKey:
    """Unlock a wrapped private key.

    Raises WrongPassphrase if the passphrase is wrong (or the blob was altered), CryptoError if
    the blob is malformed, of an unknown version, or asks for limits outside the accepted range.
    """
    opslimit, memlimit = wrapped_parameters(wrapped)
    _check_limits(opslimit, memlimit)
    _version, _ops, _mem, salt = _HEADER.unpack_from(wrapped)
    try:
        secret = encode_passphrase(passphrase)
    except ValueError:
        raise WrongPassphrase("Wrong passphrase.") from None
    key = nacl.pwhash.argon2id.kdf(_KEY_BYTES, secret, salt, opslimit=opslimit, memlimit=memlimit)
    header = wrapped[: _HEADER.size]
    try:
        private_bytes = nacl.secret.Aead(key).decrypt(wrapped[_HEADER.size :], header)
    except nacl.exceptions.CryptoError:
        raise WrongPassphrase("Wrong passphrase (or the stored key has been altered).") from None
    return nacl.public.PrivateKey(private_bytes)


def rewrap_private_key(
    wrapped: bytes,
    old_passphrase: str,
    new_passphrase: str,
    *,
    opslimit: int = DEFAULT_OPSLIMIT,
    memlimit: int = DEFAULT_MEMLIMIT,
) -> bytes:
    """The same private key wrapped under a new passphrase (fresh salt, current limits)."""
    private_key = unwrap_private_key(wrapped, old_passphrase)
    return _wrap(private_key, new_passphrase, opslimit, memlimit)
