import struct

import nacl.public
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import EnvelopeError
from crypto.sealing import (
    fingerprint,
    open_sealed,
    recipient_fingerprints,
    reseal_to_new_key,
    seal_to_recipients,
)

KEYS = [nacl.public.PrivateKey.generate() for _ in range(5)]
PUBLIC = [k.public_key.encode() for k in KEYS]
SAMPLE = seal_to_recipients(b"the contract is with ICE", PUBLIC[:3])
ENTRY_BYTES = 8 + 80  # fingerprint, then a SealedBox of a 32-byte key (docs/crypto.md)


@settings(deadline=None, max_examples=40)
@given(plaintext=st.binary(max_size=5000), count=st.integers(min_value=1, max_value=5))
def test_every_recipient_can_open_and_no_one_else(plaintext, count):
    blob = seal_to_recipients(plaintext, PUBLIC[:count], context="report:1")
    for key in KEYS[:count]:
        assert open_sealed(blob, key, context="report:1") == plaintext
    for key in KEYS[count:]:
        with pytest.raises(EnvelopeError, match="not addressed to this key"):
            open_sealed(blob, key, context="report:1")


def test_zero_recipients_is_refused():
    with pytest.raises(ValueError, match="at least one"):
        seal_to_recipients(b"x", [])


def test_duplicate_recipients_are_sealed_to_once():
    blob = seal_to_recipients(b"x", [PUBLIC[0], PUBLIC[0], PUBLIC[1]])
    assert recipient_fingerprints(blob) == [fingerprint(PUBLIC[0]), fingerprint(PUBLIC[1])]


def test_context_must_match():
    blob = seal_to_recipients(b"details", PUBLIC[:2], context="report:1")
    with pytest.raises(EnvelopeError):
        open_sealed(blob, KEYS[0], context="report:2")
    with pytest.raises(EnvelopeError):
        open_sealed(blob, KEYS[0])


@settings(deadline=None, max_examples=100)
@given(data=st.data())
def test_flipping_any_byte_fails_closed(data):
    blob = SAMPLE
    assert open_sealed(blob, KEYS[1]) == b"the contract is with ICE"
    position = data.draw(st.integers(min_value=0, max_value=len(blob) - 1))
    mask = data.draw(st.integers(min_value=1, max_value=255))
    tampered = bytearray(blob)
    tampered[position] ^= mask
    with pytest.raises(EnvelopeError):
        open_sealed(bytes(tampered), KEYS[1])


def test_removing_a_recipient_from_the_list_is_detected():
    version, count = struct.unpack_from(">BH", SAMPLE)
    assert count == 3
    without_first = struct.pack(">BH", version, count - 1) + SAMPLE[3 + ENTRY_BYTES :]
    assert recipient_fingerprints(without_first) == [fingerprint(p) for p in PUBLIC[1:3]]
    with pytest.raises(EnvelopeError):
        open_sealed(without_first, KEYS[1])


def test_truncated_blobs_are_refused():
    for blob in (b"", SAMPLE[:2], SAMPLE[:50], SAMPLE[:-1]):
        with pytest.raises(EnvelopeError):
            open_sealed(blob, KEYS[0])


def test_plaintext_is_not_in_the_blob():
    assert b"contract" not in SAMPLE


def test_resealing_to_a_new_key_keeps_the_others_and_drops_the_old_key():
    blob = seal_to_recipients(b"the revealed list", PUBLIC[:3], context="release:1")
    new = nacl.public.PrivateKey.generate()
    resealed = reseal_to_new_key(blob, KEYS[1], new.public_key.encode(), context="release:1")
    assert open_sealed(resealed, new, context="release:1") == b"the revealed list"
    for other in (KEYS[0], KEYS[2]):  # the other recipients read it as before
        assert open_sealed(resealed, other, context="release:1") == b"the revealed list"
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        open_sealed(resealed, KEYS[1], context="release:1")
    assert recipient_fingerprints(resealed) == [
        fingerprint(PUBLIC[0]),
        fingerprint(PUBLIC[2]),
        fingerprint(new.public_key.encode()),
    ]
    assert b"revealed list" not in resealed


def test_resealing_needs_the_old_key_and_an_intact_blob():
    blob = seal_to_recipients(b"x", PUBLIC[:2], context="c")
    new = PUBLIC[4]
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        reseal_to_new_key(blob, KEYS[3], new, context="c")
    with pytest.raises(EnvelopeError):
        reseal_to_new_key(blob, KEYS[0], new, context="other")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(EnvelopeError):
        reseal_to_new_key(tampered, KEYS[0], new, context="c")
