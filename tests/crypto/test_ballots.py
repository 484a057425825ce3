"""Sealed survey answers: one length per bucket, bound to their survey and kind, no way back
without the private key."""

from __future__ import annotations

import pytest

from crypto import ballots
from crypto.errors import EnvelopeError, PlaintextTooLarge


def test_answers_of_any_size_seal_to_one_length_and_open_back():
    public, private = ballots.new_key_pair()
    short = ballots.seal(b"{}", public, bucket=256, context="s/1/choices")
    long = ballots.seal(b"x" * 255, public, bucket=256, context="s/1/choices")
    assert len(short) == len(long) == ballots.sealed_length(256)
    assert ballots.open_sealed(short, private, bucket=256, context="s/1/choices") == b"{}"
    assert ballots.open_sealed(long, private, bucket=256, context="s/1/choices") == b"x" * 255


def test_a_blob_opens_only_with_its_key_survey_and_kind():
    public, private = ballots.new_key_pair()
    _other_public, other_private = ballots.new_key_pair()
    blob = ballots.seal(b"answer", public, bucket=64, context="s/1/choices")
    for key, context, bucket in (
        (other_private, "s/1/choices", 64),
        (private, "s/2/choices", 64),
        (private, "s/1/texts", 64),
        (private, "s/1/choices", 128),
    ):
        with pytest.raises(EnvelopeError):
            ballots.open_sealed(blob, key, bucket=bucket, context=context)


def test_an_answer_that_does_not_fit_its_bucket_is_refused():
    public, _private = ballots.new_key_pair()
    with pytest.raises(PlaintextTooLarge):
        ballots.seal(b"x" * 64, public, bucket=64, context="s/1/choices")
