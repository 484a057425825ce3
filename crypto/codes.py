"""Invite codes, receipts and tokens: high-entropy secrets a person holds, stored only as hashes.

- Invite codes: 28 characters of Crockford's base32 (no I, L, O, U), 5 bits each = 140 bits,
  shown in 7 groups of 4 ("7KQ2-M9XD-..."). On input, case, spaces and dashes are ignored and
  the look-alikes O -> 0 and I, L -> 1 are mapped, as Crockford intended.
- Receipts: 8 words from EFF's long wordlist (the 7772 words made only of a-z), joined by "-",
  about 103 bits. Easy to write down and read aloud. On input, case is ignored and any run of
  spaces, dashes or punctuation separates words.
- The database keeps only ``code_hash``: keyed BLAKE2b-256 of the normalised code, the key being
  a pepper from the keystore, with a personalisation per kind of secret. A stolen database alone
  cannot be used to test guesses. Compare hashes with ``hashes_equal`` (constant time).

Error messages never repeat the code or its words.
"""

from __future__ import annotations

import functools
import hmac
import math
import re
import secrets
import unicodedata
from importlib import resources

import nacl.encoding
import nacl.hash

from crypto.errors import CodeFormatError

CROCKFORD_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
INVITE_CODE_CHARS = 28
INVITE_CODE_GROUP = 4
INVITE_CODE_BITS = INVITE_CODE_CHARS * 5  # each base32 character carries 5 bits

RECEIPT_WORDS = 8
RECEIPT_SEPARATOR = "-"
MIN_RECEIPT_BITS = 100

PEPPER_BYTES = 32
HASH_BYTES = 32
MIN_TOKEN_BYTES = 16

# The kind of secret becomes BLAKE2b's personalisation, "organise:<kind>" (at most 16 bytes),
# so a hash of one kind of secret never matches another kind even under the same pepper.
# Kinds in use: "invite", "receipt", "session", "token", "login", "enrol", "sharelk",
# "shareky"; "code" is the default.
_PERSON_PREFIX = b"organise:"
_KIND = re.compile(r"[a-z][a-z0-9-]{0,6}")

_MAX_INPUT_CHARS = 400  # anything longer is not a code; refuse before doing any work
_INVITE_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015_.]+")
_CROCKFORD_LOOKALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_CROCKFORD_SET = frozenset(CROCKFORD_ALPHABET)
_WORD_SEPARATORS = re.compile(r"[\W_]+")
_WORDLIST_FILE = "eff_large_wordlist.txt"


@functools.cache
def receipt_wordlist() -> tuple[str, ...]:
    """EFF's long wordlist, minus words that are not purely a-z (see crypto/data/README.md)."""
    text = resources.files("crypto").joinpath("data").joinpath(_WORDLIST_FILE).read_text("utf-8")
    words = tuple(
        word
        for word in (line.strip() for line in text.splitlines())
        if re.fullmatch("[a-z]+", word)
    )
    if len(set(words)) != len(words):
        raise RuntimeError("The receipt wordlist contains duplicate words.")
    if RECEIPT_WORDS * math.log2(len(words)) < MIN_RECEIPT_BITS:
        raise RuntimeError("The receipt wordlist is too short for 100-bit receipts.")
    return words


@functools.cache
def _receipt_word_set() -> frozenset[str]:
    return frozenset(receipt_wordlist())


def receipt_bits() -> float:
    """Entropy of a receipt in bits: RECEIPT_WORDS x log2(number of words)."""
    return RECEIPT_WORDS * math.log2(len(receipt_wordlist()))


def _check_input(text: str, what: str) -> str:
    if not isinstance(text, str):
        raise CodeFormatError(f"The {what} must be text.")
    if len(text) > _MAX_INPUT_CHARS:
        raise CodeFormatError(f"This is too long to be {what}.")
    # NFKC folds full-width and other compatibility forms to plain letters and digits.
    return unicodedata.normalize("NFKC", text)


# -- invite codes ----------------------------------------------------------------------------


def new_invite_code() -> str:
    """A fresh invite code, grouped for reading: 7 groups of 4 characters."""
    raw = "".join(secrets.choice(CROCKFORD_ALPHABET) for _ in range(INVITE_CODE_CHARS))
    return format_invite_code(raw)


def format_invite_code(normalised: str) -> str:
    """Group a normalised invite code with dashes for display."""
    return "-".join(
        normalised[i : i + INVITE_CODE_GROUP] for i in range(0, len(normalised), INVITE_CODE_GROUP)
    )


def normalise_invite_code(text: str) -> str:
    """Canonical form of a typed invite code (28 upper-case characters, no separators)."""
    text = _check_input(text, "an invite code")
    compact = _INVITE_SEPARATORS.sub("", text.strip()).upper().translate(_CROCKFORD_LOOKALIKES)
    if len(compact) != INVITE_CODE_CHARS:
        raise CodeFormatError(
            f"An invite code has {INVITE_CODE_CHARS} letters and digits; this has {len(compact)}."
        )
    if not _CROCKFORD_SET.issuperset(compact):
        raise CodeFormatError(
            "An invite code uses only digits and the letters A-Z without I, L, O and U; "
            "this contains another character."
        )
    return compact


# -- receipts --------------------------------------------------------------------------------


def new_receipt() -> str:
    """A fresh receipt: 8 random words joined by dashes."""
    words = receipt_wordlist()
    return RECEIPT_SEPARATOR.join(secrets.choice(words) for _ in range(RECEIPT_WORDS))


def normalise_receipt(text: str) -> str:
    """Canonical form of a typed receipt: 8 known lower-case words joined by "-"."""
    text = _check_input(text, "a receipt")
    words = [word for word in _WORD_SEPARATORS.split(text.lower()) if word]
    if len(words) != RECEIPT_WORDS:
        raise CodeFormatError(f"A receipt is {RECEIPT_WORDS} words; this has {len(words)}.")
    known = _receipt_word_set()
    for position, word in enumerate(words, start=1):
        if word not in known:
            raise CodeFormatError(
                f"Word {position} of this receipt is not in the receipt word list; "
                "check its spelling."
            )
    return RECEIPT_SEPARATOR.join(words)


# -- hashing and tokens ----------------------------------------------------------------------


def new_pepper() -> bytes:
    """32 random bytes, to be kept in the keystore and used as the key of ``code_hash``."""
    return secrets.token_bytes(PEPPER_BYTES)


def code_hash(normalised_code: str, pepper: bytes, *, kind: str = "code") -> bytes:
    """Keyed BLAKE2b-256 of a normalised code; the only form the database keeps.

    ``kind`` (1-7 characters of a-z, 0-9, "-"; e.g. "invite", "receipt", "session", "token")
    separates domains: use the same kind when storing and when checking.
    """
    if not 16 <= len(pepper) <= 64:
        raise ValueError("A pepper must be between 16 and 64 bytes (new_pepper gives 32).")
    if not isinstance(kind, str) or not _KIND.fullmatch(kind):
        raise ValueError("A code kind is 1 to 7 characters: a-z, 0-9 and '-', starting a-z.")
    return nacl.hash.blake2b(
        normalised_code.encode("utf-8"),
        digest_size=HASH_BYTES,
        key=pepper,
        person=_PERSON_PREFIX + kind.encode("ascii"),
        encoder=nacl.encoding.RawEncoder,
    )


def hashes_equal(a: bytes, b: bytes) -> bool:
    """Constant-time comparison of two hashes."""
    return hmac.compare_digest(a, b)


def new_token(nbytes: int = 32) -> str:
    """A URL-safe random token (session ids, API tokens); at least 16 bytes of randomness."""
    if nbytes < MIN_TOKEN_BYTES:
        raise ValueError(f"A token needs at least {MIN_TOKEN_BYTES} random bytes.")
    return secrets.token_urlsafe(nbytes)


# -- key fingerprints as words ---------------------------------------------------------------

FINGERPRINT_WORDS = 5  # 5 words of the receipt list: about 64 bits
_FINGERPRINT_PERSON = b"org-key-words"


def fingerprint_words(public_key: bytes, count: int = FINGERPRINT_WORDS) -> str:
    """A public key's fingerprint as a few words, the same wherever it is shown.

    Read aloud or compared over another channel, it tells whether the key the server holds for
    an account is the one its holder made: a swapped key gives other words. Each word comes
    from 8 bytes of BLAKE2b of the key (reduced modulo the list's length: the bias is below
    2^-50), so the words are deterministic and about 12.9 bits each.
    """
    if not 1 <= count <= 8:
        raise ValueError("A fingerprint is 1 to 8 words.")
    digest = nacl.hash.blake2b(
        bytes(public_key),
        digest_size=8 * count,
        person=_FINGERPRINT_PERSON,
        encoder=nacl.encoding.RawEncoder,
    )
    words = receipt_wordlist()
    return " ".join(
        words[int.from_bytes(digest[i * 8 : i * 8 + 8], "big") % len(words)] for i in range(count)
    )
