import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.atrest import decrypt_field, encrypt_field, new_field_key
from crypto.errors import EnvelopeError

KEY = new_field_key()


@settings(max_examples=50)
@given(plaintext=st.binary(max_size=200), context=st.text(min_size=1, max_size=40))
def test_round_trip(plaintext, context):
    assert decrypt_field(KEY, encrypt_field(KEY, plaintext, context=context), context=context) == (
        plaintext
    )


def test_wrong_key_or_context_fails():
    blob = encrypt_field(KEY, b"JBSWY3DPEHPK3PXP", context="totp:organiser:1")
    with pytest.raises(EnvelopeError):
        decrypt_field(new_field_key(), blob, context="totp:organiser:1")
    with pytest.raises(EnvelopeError):
        decrypt_field(KEY, blob, context="totp:organiser:2")


def test_any_flipped_byte_fails():
    blob = encrypt_field(KEY, b"JBSWY3DPEHPK3PXP", context="totp:organiser:1")
    for position in range(len(blob)):
        tampered = bytearray(blob)
        tampered[position] ^= 0x80
        with pytest.raises(EnvelopeError):
            decrypt_field(KEY, bytes(tampered), context="totp:organiser:1")


def test_fresh_keys_and_nonces():
    assert new_field_key() != new_field_key()
    assert len(new_field_key()) == 32
    assert encrypt_field(KEY, b"x", context="c") != encrypt_field(KEY, b"x", context="c")


def test_context_is_required():
    with pytest.raises(ValueError, match="context"):
        encrypt_field(KEY, b"x", context="")


def test_truncated_blob_fails():
    with pytest.raises(EnvelopeError):
        decrypt_field(KEY, b"\x01short", context="c")
