"""docs/crypto.md must match the code: its numbers are checked against the library."""

import math
from pathlib import Path

import nacl.public
import nacl.pwhash
import pytest

from crypto import codes, envelope, gate, keywrap, passwords, sealing, submissions
from crypto.gate import GatePolicy, deal_gate

DOC = Path(__file__).resolve().parents[2] / "docs" / "crypto.md"


@pytest.fixture(scope="module")
def doc():
    return DOC.read_text("utf-8")


def test_every_module_is_described(doc):
    modules = sorted(
        p.stem for p in (DOC.parents[1] / "crypto").glob("*.py") if p.stem != "__init__"
    )
    for module in modules:
        assert f"`{module}`" in doc or f"crypto.{module}" in doc, module


def test_envelope_numbers(doc):
    assert f"**{envelope.PLEDGE_PLAINTEXT_CAP}**" in doc
    assert f"**{envelope.PLEDGE_BUCKET}**" in doc
    assert f"**{envelope.envelope_length()}** bytes" in doc
    assert f"envelope ({envelope.envelope_length()})" in doc
    layer1 = envelope.envelope_length() - 1 - 24 - 16
    assert f"LAYER 1 ({layer1})" in doc
    assert f"48 + 32 + {envelope.PLEDGE_BUCKET} = {layer1}" in doc


def test_gate_numbers(doc):
    dealt = deal_gate(GatePolicy("server"))
    assert len(dealt.server_share.split()) == gate.SHARE_WORDS
    assert f"**{gate.SHARE_WORDS} words**" in doc
    assert "Iteration exponent 0" in doc
    assert gate.ITERATION_EXPONENT == 0
    for policy, layout in [
        (GatePolicy("server"), "1; [(1, 1)]"),
        (GatePolicy("server_and_gatekeepers", 5, 3), "2; [(1, 1), (k, n)]"),
        (GatePolicy("any_k_of_n", 5, 3), "1; [(k, n + 1)]"),
    ]:
        group_threshold, groups = policy.slip39_layout()
        described = layout.replace("k", "3").replace("n + 1", "6").replace("n", "5")
        assert described == f"{group_threshold}; {groups}"
        assert layout in doc


def test_code_numbers(doc):
    assert f"**{codes.INVITE_CODE_BITS} bits**" in doc
    assert f"{codes.INVITE_CODE_CHARS} characters" in doc
    words = len(codes.receipt_wordlist())
    assert f"log2({words}) ≈ **{codes.receipt_bits():.1f} bits**" in doc
    assert f"{codes.RECEIPT_WORDS} words" in doc
    assert math.isclose(codes.receipt_bits(), 8 * math.log2(words))


def test_keywrap_and_password_numbers(doc, cheap_kdf):
    wrapped = keywrap.generate_organiser_keys("x", **cheap_kdf).wrapped_private_key
    assert f"wrapped ({len(wrapped)})" in doc
    assert f"`MAX_PASSPHRASE_BYTES` = {passwords.MAX_PASSPHRASE_BYTES}" in doc
    assert nacl.pwhash.argon2id.MEMLIMIT_MODERATE == 256 * 1024**2
    assert "256 MiB" in doc
    assert keywrap.MAX_OPSLIMIT == 32
    assert keywrap.MAX_MEMLIMIT == 4 * 1024**3
    assert "32 passes / 4 GiB" in doc


def test_sealing_numbers(doc):
    keys = [nacl.public.PrivateKey.generate().public_key.encode() for _ in range(2)]
    one = sealing.seal_to_recipients(b"", keys[:1])
    two = sealing.seal_to_recipients(b"", keys)
    entry = len(two) - len(one)
    assert entry == sealing.FINGERPRINT_BYTES + 80
    assert f"BLAKE2b-64(public key) ({sealing.FINGERPRINT_BYTES})" in doc
    assert f"SealedBox(content key) ({entry - sealing.FINGERPRINT_BYTES})" in doc


def test_stream_numbers(doc):
    from crypto import streams

    assert f"kind (1, = 0x{streams.HEAD_TO_RECIPIENTS:02x})" in doc
    assert f"kind (1, = 0x{streams.HEAD_UNDER_KEY:02x})" in doc
    assert f"ciphertext | tag ({streams.CHUNK_OVERHEAD})" in doc


def test_submission_record_numbers(doc):
    keys = submissions.submission_keys(codes.new_token(), submissions.new_day_key())
    sealed = keys.seal_outcome(b"content", b'{"receipt": "x"}')
    assert f"multiple of **{submissions.OUTCOME_BLOCK}** bytes" in doc
    assert f"**{len(sealed)}** bytes of ciphertext" in doc
    assert f"sodium_pad(outcome JSON, {submissions.OUTCOME_BLOCK})" in doc
    low, high = submissions.TOKEN_MIN_CHARS, submissions.TOKEN_MAX_CHARS
    assert f"A token is {low} to {high} characters" in doc
