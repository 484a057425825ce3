"""The campaign gate: a campaign key pair whose private key exists only as SLIP-39 shares.

At campaign creation ``deal_gate`` makes a random 32-byte X25519 private key, splits it with
SLIP-39 (``shamir-mnemonic``) according to a ``GatePolicy``, and forgets it. Pledges are sealed to
the public key; the private key comes back (``recover_private_key``) only when enough shares are
brought together.

SLIP-39 layouts (group threshold; groups as (member threshold, member count)):

- ``server``: 1; [(1, 1)] -- the server's share alone.
- ``server_and_gatekeepers``: 2; [(1, 1) server, (k, n) gatekeepers] -- the server AND k of n.
- ``any_k_of_n``: 1; [(k, n + 1)] -- any k holders; the server holds member 0 and counts as one.

Deleting the server's share therefore makes the first two modes unrecoverable for good, while in
the third k gatekeepers can still recover without the server (by design).

Choices:

- No SLIP-39 passphrase: the secrecy of the shares is the protection. A passphrase would be one
  more secret that someone must keep for months and could lose, and SLIP-39 accepts any
  passphrase without error, so a mistyped one would silently produce a wrong key.
- Iteration exponent 0 (the minimum): the PBKDF2 work in SLIP-39 only slows guessing of the
  passphrase. With an empty passphrase it protects nothing and would only slow recovery.
- Extendable backup flag on (the SLIP-39 default for new shares).

Python cannot wipe memory: ``deal_gate`` drops its references to the seed and private key and
overwrites the one mutable copy it controls, but copies made inside PyNaCl, ``shamir-mnemonic``
and the interpreter may linger until the memory is reused. The dealer is trusted to forget.
"""

from __future__ import annotations

import hmac
import itertools
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import nacl.public
import nacl.utils
import shamir_mnemonic
from shamir_mnemonic import rs1024
from shamir_mnemonic.constants import CUSTOMIZATION_STRING_EXTENDABLE, CUSTOMIZATION_STRING_ORIG
from shamir_mnemonic.shamir import ShareGroup
from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from crypto.errors import CryptoError, ShareError

# Recovery tries at most this many subsets of the shares given (see recover_private_key).
_MAX_SUBSETS = 256

GateMode = Literal["server", "server_and_gatekeepers", "any_k_of_n"]

MAX_SHARES = 16  # SLIP-39 allows at most 16 members per group
SEED_BYTES = 32
SHARE_WORDS = 33  # SLIP-39 length for a 256-bit secret: 7 metadata words + 26 value words
ITERATION_EXPONENT = 0
EXTENDABLE = True
_NO_PASSPHRASE = b""


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@dataclass(frozen=True)
class GatePolicy:
    """Who must bring their share to open the gate. Validated on creation (ValueError)."""

    mode: GateMode
    gatekeepers: int = 0
    threshold: int = 1

    def __post_init__(self) -> None:
        for name in ("gatekeepers", "threshold"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                raise ValueError(f"The number of {name} must be a whole number.")
        k, n = self.threshold, self.gatekeepers
        if self.mode == "server":
            if n != 0 or k != 1:
                raise ValueError(
                    "In 'server' mode the server alone holds the key: there are no gatekeepers "
                    "and the threshold is 1."
                )
        elif self.mode == "server_and_gatekeepers":
            if not 1 <= n <= MAX_SHARES:
                raise ValueError(f"Choose between 1 and {MAX_SHARES} gatekeepers; got {n}.")
            if not 1 <= k <= n:
                raise ValueError(
                    f"The number of gatekeepers required must be between 1 and {n}; got {k}."
                )
            if k == 1 and n > 1:
                raise ValueError(
                    "Requiring only 1 of several gatekeepers would give every gatekeeper a copy "
                    "of the same share, which SLIP-39 does not allow. Require at least 2, or "
                    "have a single gatekeeper."
                )
        elif self.mode == "any_k_of_n":
            members = n + 1
            if n < 1 or members > MAX_SHARES:
                raise ValueError(
                    f"Choose between 1 and {MAX_SHARES - 1} gatekeepers (the server is the "
                    f"{MAX_SHARES}th member at most); got {n}."
                )
            if not 2 <= k <= members:
                raise ValueError(
                    f"The number of holders required must be between 2 and {members} (the "
                    f"server counts as one); got {k}. A threshold of 1 would let any single "
                    "holder reveal alone, and SLIP-39 forbids it with several members because "
                    "every share would be a copy of the key; use 'server' mode instead."
                )
        else:
            raise ValueError(
                f"Unknown gate mode {self.mode!r}; expected 'server', 'server_and_gatekeepers' "
                "or 'any_k_of_n'."
            )

    def required_description(self) -> str:
        """Who must agree, in plain words, e.g. "the server and 2 of 3 gatekeepers"."""
        k, n = self.threshold, self.gatekeepers
        if self.mode == "server":
            return "the server alone"
        if self.mode == "server_and_gatekeepers":
            if n == 1:
                return "the server and the gatekeeper"
            if k == n:
                return f"the server and all {n} gatekeepers"
            return f"the server and {k} of {n} gatekeepers"
        return (
            f"any {k} of {n + 1} share holders (the server and "
            f"{_plural(n, 'gatekeeper')}, the server counting as one)"
        )

    def slip39_layout(self) -> tuple[int, list[tuple[int, int]]]:
        """Group threshold and [(member threshold, member count), ...] for shamir-mnemonic."""
        if self.mode == "server":
            return 1, [(1, 1)]
        if self.mode == "server_and_gatekeepers":
            return 2, [(1, 1), (self.threshold, self.gatekeepers)]
        return 1, [(self.threshold, self.gatekeepers + 1)]


@dataclass(frozen=True)
class DealtGate:
    """The result of dealing: publish ``public_key`` and ``identifier``; put ``server_share`` in
    the keystore; show each of ``gatekeeper_shares`` once to its gatekeeper."""

    public_key: bytes
    identifier: int
    server_share: str = field(repr=False)
    gatekeeper_shares: tuple[str, ...] = field(repr=False)


@dataclass(frozen=True)
class ShareInfo:
    """Public facts about one well-formed share (no secret material)."""

    group_index: int
    member_index: int
    group_threshold: int
    group_count: int
    member_threshold: int


def deal_gate(policy: GatePolicy) -> DealtGate:
    """Make a campaign key pair, split its private key per ``policy`` and forget it."""
    group_threshold, groups = policy.slip39_layout()
    seed = bytearray(nacl.utils.random(SEED_BYTES))
    try:
        # The random seed is used directly as the X25519 private key: the shares ARE the key.
        public_key = nacl.public.PrivateKey(bytes(seed)).public_key.encode()
        mnemonics = shamir_mnemonic.generate_mnemonics(
            group_threshold,
            groups,
            bytes(seed),
            passphrase=_NO_PASSPHRASE,
            extendable=EXTENDABLE,
            iteration_exponent=ITERATION_EXPONENT,
        )
    finally:
        seed[:] = bytes(SEED_BYTES)  # best effort; see the module docstring
        del seed

    if policy.mode == "server":
        server_share, gatekeeper_shares = mnemonics[0][0], []
    elif policy.mode == "server_and_gatekeepers":
        server_share, gatekeeper_shares = mnemonics[0][0], mnemonics[1]
    else:
        server_share, gatekeeper_shares = mnemonics[0][0], mnemonics[0][1:]
    identifier = shamir_mnemonic.Share.from_mnemonic(server_share).identifier

    # Check the shares before the seed is gone for good: a dealing bug would lose the campaign.
    needed_gatekeepers = {
        "server": 0,
        "server_and_gatekeepers": policy.threshold,
        "any_k_of_n": policy.threshold - 1,
    }[policy.mode]
    checks = [[server_share, *gatekeeper_shares[:needed_gatekeepers]]]
    if policy.mode == "any_k_of_n" and len(gatekeeper_shares) >= policy.threshold:
        checks.append(gatekeeper_shares[-policy.threshold :])  # gatekeepers without the server
    for minimal in checks:
        try:
            recover_private_key(minimal, identifier=identifier, public_key=public_key)
        except ShareError as error:
            raise CryptoError(f"Dealing the gate failed its self-check: {error}") from None

    return DealtGate(
        public_key=public_key,
        identifier=identifier,
        server_share=server_share,
        gatekeeper_shares=tuple(gatekeeper_shares),
    )


def normalise_share(mnemonic: str) -> str:
    """Lower-case and single-space a typed or scanned share."""
    return " ".join(mnemonic.lower().split())


def _share_label(index: int | None) -> str:
    # People count from 1; ShareError.index stays 0-based like the caller's list.
    return "This share" if index is None else f"Share {index + 1}"


def _parse_share(mnemonic: str, *, identifier: int, index: int | None) -> shamir_mnemonic.Share:
    label = _share_label(index)
    if not isinstance(mnemonic, str):
        raise ShareError(f"{label} is not text.", reason="malformed", index=index)
    words = normalise_share(mnemonic).split()
    if not words:
        raise ShareError(f"{label} is empty.", reason="malformed", index=index)
    for position, word in enumerate(words, start=1):
        if word not in WORD_INDEX_MAP:
            raise ShareError(
                f"{label}: word {position} is not a SLIP-39 share word.",
                reason="malformed",
                index=index,
            )
    if len(words) != SHARE_WORDS:
        raise ShareError(
            f"{label} has {len(words)} words; a gate share has {SHARE_WORDS}.",
            reason="malformed",
            index=index,
        )
    indices = [WORD_INDEX_MAP[word] for word in words]
    if not (
        rs1024.verify_checksum(indices, CUSTOMIZATION_STRING_EXTENDABLE)
        or rs1024.verify_checksum(indices, CUSTOMIZATION_STRING_ORIG)
    ):
        raise ShareError(
            f"{label} has a checksum error: a word is mistyped.", reason="checksum", index=index
        )
    try:
        share = shamir_mnemonic.Share.from_mnemonic(" ".join(words))
    except shamir_mnemonic.MnemonicError:
        raise ShareError(
            f"{label} is not a valid SLIP-39 share.", reason="malformed", index=index
        ) from None
    if share.identifier != identifier:
        raise ShareError(f"{label} belongs to another campaign.", reason="foreign", index=index)
    if len(share.value) != SEED_BYTES:
        raise ShareError(f"{label} is not a gate share.", reason="malformed", index=index)
    if share.group_index >= share.group_count or share.index >= MAX_SHARES:
        raise ShareError(f"{label} is not a gate share.", reason="malformed", index=index)
    return share


def inspect_share(mnemonic: str, *, identifier: int, index: int | None = None) -> ShareInfo:
    """Check one share on its own (e.g. as a gatekeeper submits it through a form).

    Raises ShareError with reason "malformed", "checksum" or "foreign"; ``index`` is only used to
    name the share in the message and the error.
    """
    share = _parse_share(mnemonic, identifier=identifier, index=index)
    return ShareInfo(
        group_index=share.group_index,
        member_index=share.index,
        group_threshold=share.group_threshold,
        group_count=share.group_count,
        member_threshold=share.member_threshold,
    )


def _collect(
    shares: Sequence[str], identifier: int
) -> tuple[dict[int, dict[int, shamir_mnemonic.Share]], shamir_mnemonic.Share]:
    """Validate every share and sort them into groups; raise ShareError naming the first bad one."""
    if isinstance(shares, str):
        raise TypeError("shares must be a sequence of mnemonics, not one string.")
    if not shares:
        raise ShareError("No shares were given.", reason="insufficient")
    parsed = [_parse_share(s, identifier=identifier, index=i) for i, s in enumerate(shares)]
    first = parsed[0]
    groups: dict[int, dict[int, shamir_mnemonic.Share]] = {}
    seen: dict[tuple[int, int], int] = {}
    for i, share in enumerate(parsed):
        label = _share_label(i)
        if share.common_parameters() != first.common_parameters():
            raise ShareError(
                f"{label} does not belong with share 1: they come from different deals.",
                reason="foreign",
                index=i,
            )
        group = groups.setdefault(share.group_index, {})
        if group and next(iter(group.values())).member_threshold != share.member_threshold:
            raise ShareError(
                f"{label} does not belong with the others of its group.",
                reason="foreign",
                index=i,
            )
        if share.index in group:
            earlier = seen[(share.group_index, share.index)]
            if group[share.index] == share:
                raise ShareError(
                    f"{label} is the same share as share {earlier + 1}.",
                    reason="duplicate",
                    index=i,
                )
            raise ShareError(
                f"{label} takes the same place as share {earlier + 1} but differs from it: "
                "one of them comes from a different deal.",
                reason="foreign",
                index=i,
            )
        seen[(share.group_index, share.index)] = i
        group[share.index] = share
    return groups, first


def _missing(
    groups: dict[int, dict[int, shamir_mnemonic.Share]], first: shamir_mnemonic.Share
) -> str:
    """Describe, in the words of our three layouts, what is still needed."""
    have = {g: len(members) for g, members in groups.items()}
    need = {g: next(iter(m.values())).member_threshold for g, m in groups.items()}
    if first.group_count == 2 and first.group_threshold == 2:  # server AND k of n gatekeepers
        parts = []
        if 0 not in groups:
            parts.append("the server's share")
        if 1 not in groups:
            parts.append("shares from the gatekeepers")
        elif have[1] < need[1]:
            parts.append(
                f"{_plural(need[1] - have[1], 'more gatekeeper share')} "
                f"(have {have[1]} of the {need[1]} needed)"
            )
        return "Still needed: " + " and ".join(parts) + "."
    if first.group_count == 1:  # server alone, or any k of n with the server as a member
        return (
            f"Still needed: {_plural(need[0] - have[0], 'more share')} "
            f"(have {have[0]} of the {need[0]} needed; any holder's share counts)."
        )
    complete = sum(1 for g in groups if have[g] >= need[g])
    return f"Still needed: shares from {_plural(first.group_threshold - complete, 'more group')}."


def can_recover(shares: Sequence[str], *, identifier: int) -> bool:
    """True if ``shares`` are all valid and together meet the gate's threshold."""
    try:
        groups, first = _collect(shares, identifier)
    except ShareError:
        return False
    complete = [g for g, m in groups.items() if len(m) >= next(iter(m.values())).member_threshold]
    return len(complete) >= first.group_threshold


def recover_private_key(
    shares: Sequence[str], *, identifier: int, public_key: bytes
) -> nacl.public.PrivateKey:
    """Rebuild the campaign private key from a qualifying set of shares.

    Every share is checked first and the first bad one is named by its position in ``shares``.
    Raises ShareError: "malformed", "checksum", "foreign", "duplicate", "insufficient" (the
    message says what is still missing) or "mismatch" (the shares combine, but not to the key
    whose public half is ``public_key`` -- identifiers are only 15 bits, so this is checked).
    Extra shares beyond the threshold are validated but not needed.
    """
    groups, first = _collect(shares, identifier)
    complete = [g for g, m in groups.items() if len(m) >= next(iter(m.values())).member_threshold]
    if len(complete) < first.group_threshold:
        raise ShareError(
            f"Not enough shares to open the gate. {_missing(groups, first)}",
            reason="insufficient",
        )

    # shamir-mnemonic wants exactly the threshold. A well-formed but forged share (anyone who
    # saw one real share can make one) must not block a reveal that honest extra shares allow:
    # try minimal subsets, a bounded number of them, until one yields this campaign's key.
    for chosen in itertools.islice(_minimal_subsets(groups, complete, first), _MAX_SUBSETS):
        try:
            seed = shamir_mnemonic.recover_ems(chosen).decrypt(_NO_PASSPHRASE)
        except shamir_mnemonic.MnemonicError:
            continue
        private_key = nacl.public.PrivateKey(seed)
        del seed
        if hmac.compare_digest(private_key.public_key.encode(), public_key):
            return private_key
    raise ShareError(
        "The shares do not combine into this campaign's key: at least one of them is from a "
        "different deal or was altered.",
        reason="mismatch",
    )


def _minimal_subsets(
    groups: dict[int, dict[int, shamir_mnemonic.Share]],
    complete: list[int],
    first: shamir_mnemonic.Share,
) -> Iterator[dict[int, ShareGroup]]:
    """Every way to pick exactly the threshold of groups and, in each, of members."""
    for group_indices in itertools.combinations(sorted(complete), first.group_threshold):
        per_group = []
        for group_index in group_indices:
            members = groups[group_index]
            threshold = next(iter(members.values())).member_threshold
            per_group.append(
                [
                    (group_index, combo)
                    for combo in itertools.combinations(
                        sorted(members.values(), key=_member), threshold
                    )
                ]
            )
        for selection in itertools.product(*per_group):
            chosen: dict[int, ShareGroup] = {}
            for group_index, combo in selection:
                share_group = ShareGroup()
                for share in combo:
                    share_group.add(share)
                chosen[group_index] = share_group
            yield chosen


def _member(share: shamir_mnemonic.Share) -> int:
    return share.index
