"""What makes a passphrase acceptable. Checked before any (slow, memory-hard) hashing."""

from __future__ import annotations

from crypto.passwords import MAX_PASSPHRASE_BYTES
from organise.i18n import _l
from organise.organisers.errors import PassphraseRejected

MIN_PASSPHRASE_CHARS = 12
MIN_DISTINCT_CHARS = 6
# Phrases people reach for first; a tiny list, but the length rule does most of the work.
_TOO_COMMON = {
    "passwordpassword",
    "password1234",
    "passphrase123",
    "123456789012",
    "qwertyuiopas",
    "organiseorganise",
    "correcthorsebatterystaple",
}


def check_passphrase_length(passphrase: str, *, field: str = "passphrase") -> None:
    """Refuse an over-long passphrase before any hashing: hashing costs us, not the sender."""
    if len(passphrase.encode("utf-8", "surrogatepass")) > MAX_PASSPHRASE_BYTES:
        raise PassphraseRejected(
            _l("A passphrase can be at most %(limit)d bytes long.", limit=MAX_PASSPHRASE_BYTES),
            field=field,
        )


def check_passphrase(passphrase: str, *, username: str = "", field: str = "passphrase") -> None:
    """Refuse a passphrase that is too long, too short or too easy to guess.

    `username` (when known) adds the rule that the passphrase must not contain it; `field`
    names the form field the refusal is about.
    """
    check_passphrase_length(passphrase, field=field)
    if "\x00" in passphrase:
        raise PassphraseRejected(_l("A passphrase cannot contain a NUL character."), field=field)
    if len(passphrase) < MIN_PASSPHRASE_CHARS:
        raise PassphraseRejected(
            _l(
                "A passphrase needs at least %(n)d characters; several unrelated words work well.",
                n=MIN_PASSPHRASE_CHARS,
            ),
            field=field,
        )
    folded = passphrase.casefold()
    if len(set(folded)) < MIN_DISTINCT_CHARS or "".join(folded.split()) in _TOO_COMMON:
        raise PassphraseRejected(_l("This passphrase is too easy to guess."), field=field)
    if len(username) >= 3 and username.casefold() in folded:
        raise PassphraseRejected(_l("A passphrase must not contain the account name."), field=field)
