"""Gatekeepers hand in their shares; the campaign key is rebuilt only to reveal.

Shares are accepted only once the campaign awaits its gate (threshold reached, cooling-off over):
the server never holds enough shares to reveal early. Each share is checked as it arrives
(`crypto.gate.inspect_share`): a mistyped word, a word that is not a share word, or a share of
another campaign is refused with a message that says which. Accepted shares are held in the
keystore until the reveal or the expiry deletes them.

SLIP-39 checksums are not secret, so anyone can forge a well-formed share that names a
gatekeeper's place. Such a share cannot combine into the campaign key, but it must not be able
to block the real one either: a place holds up to a few different candidates, and the key is
rebuilt by trying combinations until one gives the campaign's public key.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass

import nacl.encoding
import nacl.hash
import nacl.public
from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from crypto.errors import ShareError
from crypto.gate import SHARE_WORDS, inspect_share, normalise_share, recover_private_key
from crypto.keystore import Keystore
from organise.campaigns import keys, policy
from organise.campaigns.errors import CampaignError
from organise.campaigns.models import Campaign, CampaignState
from organise.i18n import _

MAX_SHARE_CHARS = 1000
MAX_CANDIDATES_PER_PLACE = 3
MAX_ATTEMPTS = 512

Place = tuple[int, int]  # (group index, member index)


@dataclass(frozen=True)
class ShareOutcome:
    still_needed: int
    revealed: bool
    # The shares handed in so far are enough in number but do not combine into the key.
    mismatch: bool = False


def share_problem(error: ShareError, words: str) -> str:
    """A readable sentence naming what is wrong with one share."""
    if error.reason == "checksum":
        return _(
            "This share has a checksum error: at least one word is mistyped. Check each word "
            "against the paper or file you were given."
        )
    if error.reason == "foreign":
        return _("This share belongs to another campaign, or to another deal of this one.")
    typed = normalise_share(words).split()
    for position, word in enumerate(typed, start=1):
        if word not in WORD_INDEX_MAP:
            return _("Word %(n)d of this share is not a share word: check its spelling.") % {
                "n": position
            }
    if not typed:
        return _("Please enter a share.")
    return _("This share has %(have)d words; a share has %(need)d.") % {
        "have": len(typed),
        "need": SHARE_WORDS,
    }


def _place_name(campaign: Campaign, place: Place, normalised: str) -> str:
    digest = nacl.hash.blake2b(
        normalised.encode("utf-8"), digest_size=8, encoder=nacl.encoding.HexEncoder
    ).decode("ascii")
    return f"{keys.submitted_prefix(campaign.id)}{place[0]}-{place[1]}-{digest}"


def _place_of(name: str) -> Place:
    group, member, _digest = name.rsplit("/", 1)[1].split("-")
    return int(group), int(member)


async def handed_in(campaign: Campaign, keystore: Keystore) -> dict[Place, list[str]]:
    """Candidate shares per gatekeeper place."""
    names = await keys.in_thread(keystore.names, keys.submitted_prefix(campaign.id))
    values = await keys.in_thread(keystore.get_many, names)
    places: dict[Place, list[str]] = {}
    for name in sorted(values):
        places.setdefault(_place_of(name), []).append(values[name].decode("utf-8"))
    return places


def _combinations(places: dict[Place, list[str]], needed: int) -> Iterator[list[str]]:
    for chosen in itertools.combinations(sorted(places), needed):
        for picks in itertools.product(*(places[place] for place in chosen)):
            yield list(picks)


def _rebuild(
    campaign: Campaign, server: str, places: dict[Place, list[str]], needed: int
) -> nacl.public.PrivateKey | None:
    if len(places) < needed:
        return None
    for attempt, picks in enumerate(_combinations(places, needed)):
        if attempt >= MAX_ATTEMPTS:
            return None
        try:
            return recover_private_key(
                [server, *picks],
                identifier=campaign.gate_identifier,
                public_key=campaign.public_key,
            )
        except ShareError:
            continue
    return None


async def rebuild_key(campaign: Campaign, keystore: Keystore) -> nacl.public.PrivateKey | None:
    """The campaign private key if the shares present open the gate, else None."""
    server = await keys.in_thread(keystore.get, keys.server_share(campaign.id))
    if server is None:
        return None
    needed = policy.gatekeeper_shares_needed(policy.gate_policy(campaign))
    places = await handed_in(campaign, keystore) if needed else {}
    return await keys.in_thread(_rebuild, campaign, server.decode("utf-8"), places, needed)


def _closed_message(campaign: Campaign) -> str:
    if campaign.state in (CampaignState.OPEN, CampaignState.COOLING_OFF):
        return _(
            "This campaign is not waiting for gatekeepers yet: its threshold and cooling-off "
            "period have not both passed. Keep your share safe and hand it in later."
        )
    if campaign.state in (CampaignState.REVEALING, CampaignState.REVEALED):
        return _("This campaign's pledges have been revealed. You can now destroy your share.")
    return _(
        "This campaign has expired and its pledges were destroyed. You can now destroy your share."
    )


def _check_layout(campaign: Campaign, words: str) -> Place:
    try:
        info = inspect_share(words, identifier=campaign.gate_identifier)
    except ShareError as error:
        raise CampaignError(share_problem(error, words), code=f"share_{error.reason}") from None
    gate = policy.gate_policy(campaign)
    group_threshold, groups = gate.slip39_layout()
    fits = (
        info.group_threshold == group_threshold
        and info.group_count == len(groups)
        and info.group_index < len(groups)
        and info.member_threshold == groups[info.group_index][0]
        and (info.group_index, info.member_index) != (0, 0)  # the server's own place
    )
    if not fits:
        raise CampaignError(
            _("This share belongs to another campaign, or to another deal of this one."),
            code="share_foreign",
        )
    return info.group_index, info.member_index


async def submit(campaign: Campaign, words: object, *, keystore: Keystore) -> ShareOutcome:
    """Check and keep one gatekeeper share; reveal at once if the gate can now open."""
    from organise.campaigns.reveal import reveal  # reveal uses rebuild_key from this module

    if not isinstance(words, str) or not words.strip():
        raise CampaignError(_("Please enter a share."), code="missing_share")
    if len(words) > MAX_SHARE_CHARS:
        raise CampaignError(_("This is too long to be a share."), code="share_malformed")
    if campaign.state != CampaignState.AWAITING_GATE:
        raise CampaignError(_closed_message(campaign), status=409, code="gate_not_open")
    place = _check_layout(campaign, words)
    normalised = normalise_share(words)
    name = _place_name(campaign, place, normalised)
    places = await handed_in(campaign, keystore)
    if normalised in places.get(place, []):
        raise CampaignError(
            _("This share has already been handed in. Thank you."),
            status=409,
            code="share_duplicate",
        )
    if len(places.get(place, [])) >= MAX_CANDIDATES_PER_PLACE:
        raise CampaignError(
            _(
                "Too many different shares have been handed in for this gatekeeper's place. "
                "Please contact the campaign's organisers."
            ),
            status=409,
            code="share_place_full",
        )
    await keys.in_thread(keystore.put, name, normalised.encode("utf-8"))
    places.setdefault(place, []).append(normalised)
    needed = policy.gatekeeper_shares_needed(policy.gate_policy(campaign))
    still_needed = max(0, needed - len(places))
    if still_needed:
        return ShareOutcome(still_needed=still_needed, revealed=False)
    key = await rebuild_key(campaign, keystore)
    if key is None:
        return ShareOutcome(still_needed=0, revealed=False, mismatch=True)
    del key
    revealed = await reveal(campaign.id, from_state=CampaignState.AWAITING_GATE, keystore=keystore)
    return ShareOutcome(still_needed=0, revealed=revealed)
