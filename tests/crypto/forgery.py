"""Forged gate shares: what anyone who has seen one share can make."""

from __future__ import annotations

import secrets

from shamir_mnemonic.share import Share


def forged_share(real_words: str, *, index: int | None = None) -> str:
    """A well-formed share for a real share's place (or another member index), random value."""
    real = Share.from_mnemonic(real_words)
    return Share(
        real.identifier,
        real.extendable,
        real.iteration_exponent,
        real.group_index,
        real.group_threshold,
        real.group_count,
        real.index if index is None else index,
        real.member_threshold,
        secrets.token_bytes(len(real.value)),
    ).mnemonic()
