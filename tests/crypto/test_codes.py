import math
import re
from importlib import resources

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.codes import (
    CROCKFORD_ALPHABET,
    INVITE_CODE_BITS,
    RECEIPT_WORDS,
    code_hash,
    format_invite_code,
    hashes_equal,
    new_invite_code,
    new_pepper,
    new_receipt,
    new_token,
    normalise_invite_code,
    normalise_receipt,
    receipt_bits,
    receipt_wordlist,
)
from crypto.errors import CodeFormatError

PEPPER = new_pepper()


def test_shipped_wordlist_is_efs_long_list_with_7776_unique_words():
    text = resources.files("crypto").joinpath("data").joinpath("eff_large_wordlist.txt")
    lines = text.read_text("utf-8").splitlines()
    assert len(lines) == 7776
    assert len(set(lines)) == 7776
    assert lines[0] == "abacus"
    assert lines[-1] == "zoom"
    readme = resources.files("crypto").joinpath("data").joinpath("README.md").read_text("utf-8")
    assert "https://www.eff.org/dice" in readme
    assert "CC BY 3.0 US" in readme


def test_receipt_words_are_plain_letters_and_give_at_least_100_bits():
    words = receipt_wordlist()
    assert all(re.fullmatch("[a-z]+", w) for w in words)
    assert len(set(words)) == len(words) >= 7770
    bits = RECEIPT_WORDS * math.log2(len(words))
    assert bits >= 100
    assert receipt_bits() == pytest.approx(bits)


def test_invite_codes_carry_at_least_128_bits():
    assert len(set(CROCKFORD_ALPHABET)) == 32
    code = normalise_invite_code(new_invite_code())
    bits = len(code) * math.log2(len(CROCKFORD_ALPHABET))
    assert bits >= 128
    assert bits == INVITE_CODE_BITS


def test_invite_codes_use_the_alphabet_and_are_grouped():
    for _ in range(200):
        code = new_invite_code()
        assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4})+", code)
    assert len({new_invite_code() for _ in range(1000)}) == 1000


def _mangle(draw, text, separators):
    out = []
    for char in text:
        if draw(st.booleans()):
            char = char.swapcase()
        out.append(char)
        out.append(draw(st.sampled_from(separators)))
    return draw(st.sampled_from(["", " ", "  "])) + "".join(out)


@settings(max_examples=100)
@given(data=st.data())
def test_invite_code_typing_variants_hash_equal(data):
    code = "".join(
        data.draw(st.lists(st.sampled_from(CROCKFORD_ALPHABET), min_size=28, max_size=28))
    )
    typed = _mangle(data.draw, format_invite_code(code), ["", "", " ", "-", " - "])
    assert normalise_invite_code(typed) == code
    assert hashes_equal(
        code_hash(normalise_invite_code(typed), PEPPER, kind="invite"),
        code_hash(code, PEPPER, kind="invite"),
    )


def test_invite_code_lookalikes_are_mapped():
    code = normalise_invite_code(new_invite_code())
    typed = code[:-3] + "OIL"
    assert normalise_invite_code(typed) == code[:-3] + "011"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCD", "this has 4"),
        ("A" * 29, "this has 29"),
        ("U" * 28, "without I, L, O and U"),
        ("#" * 28, "without I, L, O and U"),
        ("x" * 1000, "too long"),
    ],
)
def test_malformed_invite_codes(typed, message):
    with pytest.raises(CodeFormatError, match=message):
        normalise_invite_code(typed)


@settings(max_examples=100)
@given(data=st.data())
def test_receipt_typing_variants_hash_equal(data):
    words = data.draw(
        st.lists(
            st.sampled_from(receipt_wordlist()), min_size=RECEIPT_WORDS, max_size=RECEIPT_WORDS
        )
    )
    canonical = "-".join(words)
    separators = [" ", "-", "  ", " - ", "--", "\n", ", ", "–"]
    typed = data.draw(st.sampled_from(["", " "])) + words[0]
    for word in words[1:]:
        if data.draw(st.booleans()):
            word = word.upper()
        typed += data.draw(st.sampled_from(separators)) + word
    typed += data.draw(st.sampled_from(["", " ", "."]))
    assert normalise_receipt(typed) == canonical
    assert hashes_equal(
        code_hash(normalise_receipt(typed), PEPPER, kind="receipt"),
        code_hash(canonical, PEPPER, kind="receipt"),
    )


def test_new_receipts_are_eight_known_words():
    receipt = new_receipt()
    assert normalise_receipt(receipt) == receipt
    assert len(receipt.split("-")) == RECEIPT_WORDS


def test_receipt_errors_are_readable_and_do_not_repeat_the_words():
    words = new_receipt().split("-")
    with pytest.raises(CodeFormatError, match="A receipt is 8 words; this has 7"):
        normalise_receipt(" ".join(words[:7]))
    typed = " ".join([*words[:3], "qqqzzz", *words[4:]])
    with pytest.raises(CodeFormatError, match="Word 4") as excinfo:
        normalise_receipt(typed)
    assert "qqqzzz" not in str(excinfo.value)
    assert all(word not in str(excinfo.value) for word in words)


def test_code_hash_is_keyed_and_separates_kinds():
    code = normalise_invite_code(new_invite_code())
    first = code_hash(code, PEPPER, kind="invite")
    assert len(first) == 32
    assert first == code_hash(code, PEPPER, kind="invite")
    assert first != code_hash(code, new_pepper(), kind="invite")
    assert first != code_hash(code, PEPPER, kind="receipt")
    assert first != code_hash(code, PEPPER)
    kinds = ["code", "invite", "receipt", "session", "token", "login"]
    assert len({code_hash(code, PEPPER, kind=kind) for kind in kinds}) == len(kinds)
    with pytest.raises(ValueError, match="pepper"):
        code_hash(code, b"short")
    for bad_kind in ("", "toolongkind", "Invite", "in vite"):
        with pytest.raises(ValueError, match="kind"):
            code_hash(code, PEPPER, kind=bad_kind)


def test_hashes_equal():
    a = code_hash("x", PEPPER)
    assert hashes_equal(a, bytes(a))
    assert not hashes_equal(a, code_hash("y", PEPPER))
    assert not hashes_equal(a, a[:-1])


def test_tokens():
    token = new_token()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert new_token() != token
    assert len(new_token(48)) == 64
    with pytest.raises(ValueError, match="at least 16"):
        new_token(8)


def test_peppers_are_random_32_bytes():
    assert len(new_pepper()) == 32
    assert new_pepper() != new_pepper()
