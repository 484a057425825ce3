"""Submission records: opened only with the token, the day key and the exact content."""

import pytest

from crypto import codes, submissions
from crypto.errors import EnvelopeError

DAY = submissions.new_day_key()
TOKEN = codes.new_token()
CONTENT = b'{"form":"report","values":{"details":"the drones"}}'
OUTCOME = b'{"receipt":"acorn-bagel-cider-dune-ember-fable-gala-harbor"}'


def test_tokens_are_32_to_128_url_safe_characters():
    assert submissions.is_token(TOKEN)
    assert submissions.is_token("a" * 32)
    assert submissions.is_token("A-z_9" * 25 + "abc")  # 128
    for bad in ("a" * 31, "a" * 129, "a" * 31 + "=", "a" * 31 + " ", "ä" * 32, None, 123):
        assert not submissions.is_token(bad), bad
    with pytest.raises(ValueError, match="32 to 128"):
        submissions.submission_keys("short", DAY)


def test_the_same_token_and_day_give_the_same_keys_and_others_do_not():
    keys = submissions.submission_keys(TOKEN, DAY)
    again = submissions.submission_keys(TOKEN, DAY)
    assert keys.lookup == again.lookup
    assert keys.fingerprint(CONTENT) == again.fingerprint(CONTENT)
    other_day = submissions.submission_keys(TOKEN, submissions.new_day_key())
    other_token = submissions.submission_keys(codes.new_token(), DAY)
    lookups = {keys.lookup, other_day.lookup, other_token.lookup}
    assert len(lookups) == 3
    prints = {keys.fingerprint(CONTENT), other_day.fingerprint(CONTENT)}
    prints |= {other_token.fingerprint(CONTENT), keys.fingerprint(CONTENT + b" ")}
    assert len(prints) == 4
    # The stored values are 32-byte keyed hashes: none is the token, and the key is secret.
    assert TOKEN.encode() not in keys.lookup
    assert "_print_key" not in repr(keys)
    assert "_box_key" not in repr(keys)


def test_the_outcome_opens_only_with_the_token_the_day_key_and_the_same_content():
    keys = submissions.submission_keys(TOKEN, DAY)
    sealed = keys.seal_outcome(CONTENT, OUTCOME)
    assert OUTCOME not in sealed
    assert keys.open_outcome(CONTENT, sealed) == OUTCOME
    with pytest.raises(EnvelopeError):
        keys.open_outcome(CONTENT + b" ", sealed)  # a guess of the content that is off
    with pytest.raises(EnvelopeError):
        submissions.submission_keys(TOKEN, submissions.new_day_key()).open_outcome(CONTENT, sealed)
    with pytest.raises(EnvelopeError):
        submissions.submission_keys(codes.new_token(), DAY).open_outcome(CONTENT, sealed)
    tampered = bytearray(sealed)
    tampered[-1] ^= 1
    with pytest.raises(EnvelopeError):
        keys.open_outcome(CONTENT, bytes(tampered))


def test_outcomes_are_padded_so_their_length_says_nothing():
    keys = submissions.submission_keys(TOKEN, DAY)
    alone = keys.seal_outcome(CONTENT, OUTCOME)
    with_codes = keys.seal_outcome(CONTENT, OUTCOME + b"," + b"7KQ2-M9XD-" * 5 * 4)
    assert len(alone) == len(with_codes) == submissions.OUTCOME_BLOCK + 40  # nonce 24, tag 16


def test_the_day_mark_tells_the_day_key_only_to_whoever_holds_it():
    keys = submissions.submission_keys(TOKEN, DAY)
    assert keys.mark == submissions.day_mark(keys.lookup, DAY)
    assert keys.mark != submissions.day_mark(keys.lookup, submissions.new_day_key())
    with pytest.raises(ValueError, match="32 bytes"):
        submissions.day_mark(keys.lookup, b"short")
