"""Fingerprints of the gatekeeper shares as dealt, so a forged share is refused on arrival.

SLIP-39 checksums and the 15-bit identifier are public (and every gatekeeper knows them), so
anyone can make a well-formed share for any gatekeeper's place. At creation the campaign keeps,
per place, a keyed hash of the share dealt for it:

    BLAKE2b-256(normalised share words, key = code pepper (keystore), person = "org-gate-shr1")

A share carries 256 bits of secret, so the hash reveals nothing about it, and without the
keystore's pepper a copy of the database cannot even test a guess. A handed-in share is kept
only if its hash is the one of its place. This uses stock PyNaCl calls (`nacl.hash.blake2b`).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence

import nacl.encoding
import nacl.hash

from crypto.gate import inspect_share, normalise_share

PERSON = b"org-gate-shr1"


def place_label(group_index: int, member_index: int) -> str:
    return f"{group_index}-{member_index}"


def share_digest(normalised: str, pepper: bytes) -> str:
    """Hex BLAKE2b-256 of a normalised share, keyed with the pepper."""
    return nacl.hash.blake2b(
        normalised.encode("utf-8"),
        digest_size=32,
        key=pepper,
        person=PERSON,
        encoder=nacl.encoding.HexEncoder,
    ).decode("ascii")


def dealt_hashes(shares: Sequence[str], *, identifier: int, pepper: bytes) -> dict[str, str]:
    """{place: hash} for the gatekeeper shares just dealt."""
    hashes: dict[str, str] = {}
    for words in shares:
        info = inspect_share(words, identifier=identifier)
        label = place_label(info.group_index, info.member_index)
        hashes[label] = share_digest(normalise_share(words), pepper)
    return hashes


def is_dealt(
    hashes: Mapping[str, str], group_index: int, member_index: int, normalised: str, pepper: bytes
) -> bool:
    """True if `normalised` is the share dealt for this place."""
    expected = hashes.get(place_label(group_index, member_index))
    if not isinstance(expected, str):
        return False
    return hmac.compare_digest(expected, share_digest(normalised, pepper))
