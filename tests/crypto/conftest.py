"""Fixtures for the crypto tests (no dependency on the web app's fixtures)."""

import nacl.public
import nacl.pwhash
import pytest

# Argon2id at libsodium's minimum, so tests that are not about the KDF cost stay fast.
CHEAP_KDF = {
    "opslimit": nacl.pwhash.argon2id.OPSLIMIT_MIN,
    "memlimit": nacl.pwhash.argon2id.MEMLIMIT_MIN,
}


@pytest.fixture(scope="session")
def campaign_key() -> nacl.public.PrivateKey:
    return nacl.public.PrivateKey.generate()


@pytest.fixture
def cheap_kdf() -> dict[str, int]:
    return dict(CHEAP_KDF)
