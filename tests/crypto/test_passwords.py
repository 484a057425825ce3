import inspect

import nacl.pwhash
import pytest

from crypto.errors import CryptoError
from crypto.passwords import (
    MAX_PASSPHRASE_BYTES,
    MODERATE_MEM,
    MODERATE_OPS,
    hash_passphrase,
    needs_rehash,
    verify_passphrase,
)


def test_defaults_are_at_least_moderate():
    assert nacl.pwhash.argon2id.OPSLIMIT_MODERATE == MODERATE_OPS
    assert nacl.pwhash.argon2id.MEMLIMIT_MODERATE == MODERATE_MEM
    parameters = inspect.signature(hash_passphrase).parameters
    assert parameters["opslimit"].default >= nacl.pwhash.argon2id.OPSLIMIT_MODERATE
    assert parameters["memlimit"].default >= nacl.pwhash.argon2id.MEMLIMIT_MODERATE


def test_a_real_moderate_hash_records_its_parameters():
    stored = hash_passphrase("a long passphrase")
    assert stored.startswith(b"$argon2id$v=19$m=262144,t=3,p=1$")
    assert verify_passphrase(stored, "a long passphrase")
    assert not needs_rehash(stored)


def test_verify(cheap_kdf):
    stored = hash_passphrase("right one", **cheap_kdf)
    assert verify_passphrase(stored, "right one") is True
    assert verify_passphrase(stored, "wrong one") is False
    assert verify_passphrase(stored, "") is False
    assert verify_passphrase(stored, "x" * (MAX_PASSPHRASE_BYTES + 1)) is False


def test_stored_hash_may_be_text(cheap_kdf):
    stored = hash_passphrase("right one", **cheap_kdf).decode("ascii")
    assert verify_passphrase(stored, "right one") is True
    assert verify_passphrase(stored, "wrong one") is False


def test_hashes_are_salted(cheap_kdf):
    assert hash_passphrase("same", **cheap_kdf) != hash_passphrase("same", **cheap_kdf)


def test_over_long_and_empty_passphrases_are_refused_before_hashing(cheap_kdf):
    with pytest.raises(ValueError, match=str(MAX_PASSPHRASE_BYTES)):
        hash_passphrase("é" * (MAX_PASSPHRASE_BYTES // 2 + 1), **cheap_kdf)
    with pytest.raises(ValueError, match="empty"):
        hash_passphrase("", **cheap_kdf)
    assert verify_passphrase(hash_passphrase("é" * 512, **cheap_kdf), "é" * 512)


def test_weak_hashes_need_rehash(cheap_kdf):
    assert needs_rehash(hash_passphrase("x", **cheap_kdf))
    assert needs_rehash(b"$argon2i$v=19$m=4096,t=3,p=1$abc$def")


def test_a_stored_value_that_is_not_argon2id_is_a_server_error():
    with pytest.raises(CryptoError):
        verify_passphrase(b"plaintext-password", "plaintext-password")
