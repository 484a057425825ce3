import inspect
import struct
import time
import unicodedata

import nacl.pwhash
import pytest

from crypto import keywrap
from crypto.errors import CryptoError, WrongPassphrase
from crypto.keywrap import (
    generate_organiser_keys,
    rewrap_private_key,
    unwrap_private_key,
    wrapped_parameters,
)

MODERATE_OPS = nacl.pwhash.argon2id.OPSLIMIT_MODERATE
MODERATE_MEM = nacl.pwhash.argon2id.MEMLIMIT_MODERATE
HEADER = struct.Struct(">BQQ16s")


def test_default_kdf_limits_are_at_least_moderate():
    for function in (generate_organiser_keys, rewrap_private_key):
        parameters = inspect.signature(function).parameters
        assert parameters["opslimit"].default >= MODERATE_OPS
        assert parameters["memlimit"].default >= MODERATE_MEM


def test_a_real_moderate_round_trip():
    keys = generate_organiser_keys("correct horse battery staple")
    assert wrapped_parameters(keys.wrapped_private_key) == (MODERATE_OPS, MODERATE_MEM)
    private_key = unwrap_private_key(keys.wrapped_private_key, "correct horse battery staple")
    assert private_key.public_key.encode() == keys.public_key


def test_round_trip_and_wrong_passphrase(cheap_kdf):
    keys = generate_organiser_keys("passphrase one", **cheap_kdf)
    assert len(keys.public_key) == 32
    assert unwrap_private_key(keys.wrapped_private_key, "passphrase one").public_key.encode() == (
        keys.public_key
    )
    for wrong in ("passphrase two", "Passphrase one", "", "x" * 5000):
        with pytest.raises(WrongPassphrase, match="Wrong passphrase"):
            unwrap_private_key(keys.wrapped_private_key, wrong)


def test_passphrases_are_unicode_normalised(cheap_kdf):
    composed = unicodedata.normalize("NFC", "café olé")
    decomposed = unicodedata.normalize("NFD", "café olé")
    assert composed != decomposed
    keys = generate_organiser_keys(composed, **cheap_kdf)
    assert unwrap_private_key(keys.wrapped_private_key, decomposed)


def _tamper(blob, **fields):
    version, ops, mem, salt = HEADER.unpack_from(blob)
    values = {"version": version, "ops": ops, "mem": mem, "salt": salt, **fields}
    header = HEADER.pack(values["version"], values["ops"], values["mem"], values["salt"])
    return header + blob[HEADER.size :]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ({"ops": 2}, WrongPassphrase),  # a still-acceptable change: the header is authenticated
        ({"mem": 16384}, WrongPassphrase),
        ({"salt": bytes(16)}, WrongPassphrase),
        ({"version": 2}, CryptoError),
        ({"ops": 0}, CryptoError),  # below the floor: refused before running the KDF
        ({"mem": 1024}, CryptoError),
        ({"mem": 2**40}, CryptoError),  # absurd: refused before allocating anything
        ({"ops": 2**40}, CryptoError),
    ],
)
def test_a_tampered_header_is_refused(cheap_kdf, fields, error):
    keys = generate_organiser_keys("a passphrase", **cheap_kdf)
    tampered = _tamper(keys.wrapped_private_key, **fields)
    started = time.monotonic()
    with pytest.raises(error):
        unwrap_private_key(tampered, "a passphrase")
    assert time.monotonic() - started < 5


def test_unknown_version_and_malformed_blobs_are_not_reported_as_wrong_passphrase(cheap_kdf):
    keys = generate_organiser_keys("a passphrase", **cheap_kdf)
    for blob in (_tamper(keys.wrapped_private_key, version=9), keys.wrapped_private_key[:-1], b""):
        with pytest.raises(CryptoError) as excinfo:
            unwrap_private_key(blob, "a passphrase")
        assert not isinstance(excinfo.value, WrongPassphrase)


def test_any_flipped_byte_fails(cheap_kdf):
    keys = generate_organiser_keys("a passphrase", **cheap_kdf)
    for position in range(len(keys.wrapped_private_key)):
        tampered = bytearray(keys.wrapped_private_key)
        tampered[position] ^= 0x01
        with pytest.raises(CryptoError):
            unwrap_private_key(bytes(tampered), "a passphrase")


def test_rewrap_changes_the_passphrase_and_keeps_the_key(cheap_kdf):
    keys = generate_organiser_keys("old passphrase", **cheap_kdf)
    rewrapped = rewrap_private_key(
        keys.wrapped_private_key, "old passphrase", "new passphrase", **cheap_kdf
    )
    assert unwrap_private_key(rewrapped, "new passphrase").public_key.encode() == keys.public_key
    with pytest.raises(WrongPassphrase):
        unwrap_private_key(rewrapped, "old passphrase")
    with pytest.raises(WrongPassphrase):
        rewrap_private_key(keys.wrapped_private_key, "wrong", "new passphrase", **cheap_kdf)


def test_wrapping_refuses_limits_below_the_floor():
    with pytest.raises(CryptoError):
        generate_organiser_keys("x", opslimit=0, memlimit=keywrap.MIN_MEMLIMIT)


def test_empty_passphrase_is_refused_when_wrapping(cheap_kdf):
    with pytest.raises(ValueError, match="empty"):
        generate_organiser_keys("", **cheap_kdf)
