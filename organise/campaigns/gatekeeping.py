"""Gatekeepers hand in their shares; the campaign key is rebuilt only to reveal.

Shares are accepted only once the campaign awaits its gate (threshold reached, cooling-off over)
and before its deadline: the server never holds enough shares to reveal early. Each share is
checked as it arrives (`crypto.gate.inspect_share`): a mistyped word, a word that is not a share
word, or a share of another campaign is refused with a message that says which.

SLIP-39 checksums and the campaign's identifier are not secret, so anyone can forge a
well-formed share naming a gatekeeper's place. At creation the campaign stored a keyed hash of
the share dealt for each place (`sharecheck`); a share whose hash is not its place's is refused,
so each place holds exactly one share, the real one, and forged shares can neither fill a place
nor block the reveal. Accepted shares are held in the keystore until the reveal, the expiry, or a
withdrawal that reopens the campaign deletes them.

Campaigns made before the hashes existed (`share_hashes` is None) keep one share per place
without that check; if a full set does not combine into the key, every handed-in share is
cleared and the gatekeepers are asked to hand theirs in again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import nacl.public
from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from crypto.errors import KeystoreError, ShareError
from crypto.gate import SHARE_WORDS, inspect_share, normalise_share, recover_private_key
from crypto.keystore import Keystore
from organise.campaigns import keys, policy, sharecheck
from organise.campaigns.errors import CampaignError
from organise.campaigns.models import Campaign, CampaignState
from organise.i18n import _

MAX_SHARE_CHARS = 1000

Place = tuple[int, int]  # (group index, member index)


@dataclass(frozen=True)
class ShareOutcome:
    still_needed: int
    revealed: bool
    # Only for campaigns made without share hashes: a full set of shares did not combine into
    # the key, so every handed-in share was cleared.
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


def _place_name(campaign: Campaign, place: Place) -> str:
    return f"{keys.submitted_prefix(campaign.id)}{place[0]}-{place[1]}"


def _place_of(name: str) -> Place:
    # Older names carried a digest after the place: "<group>-<member>-<digest>".
    group, member = name.rsplit("/", 1)[1].split("-")[:2]
    return int(group), int(member)


async def handed_in(campaign: Campaign, keystore: Keystore) -> dict[Place, str]:
    """The share held for each gatekeeper place (one per place)."""
    names = await keys.in_thread(keystore.names, keys.submitted_prefix(campaign.id))
    values = await keys.in_thread(keystore.get_many, names)
    places: dict[Place, str] = {}
    for name in sorted(values):
        places.setdefault(_place_of(name), values[name].decode("utf-8"))
    return places


def _rebuild(
    campaign: Campaign, server: str, places: dict[Place, str], needed: int
) -> nacl.public.PrivateKey | None:
    if len(places) < needed:
        return None
    try:
        return recover_private_key(
            [server, *(places[place] for place in sorted(places))],
            identifier=campaign.gate_identifier,
            public_key=campaign.public_key,
        )
    except ShareError:
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


def _foreign() -> CampaignError:
    return CampaignError(
        _("This share belongs to another campaign, or to another deal of this one."),
        code="share_foreign",
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
        and info.member_index < groups[info.group_index][1]  # a place that was dealt
        and (info.group_index, info.member_index) != (0, 0)  # the server's own place
    )
    if not fits:
        raise _foreign()
    return info.group_index, info.member_index


def _not_dealt() -> CampaignError:
    return CampaignError(
        _(
            "This share is not one of the shares dealt for this campaign. Check that you are "
            "handing in the share you were given for this campaign, word for word."
        ),
        status=422,
        code="share_not_dealt",
    )


def _already_handed_in() -> CampaignError:
    return CampaignError(
        _("This share has already been handed in. Thank you."),
        status=409,
        code="share_duplicate",
    )


async def _expire_if_due(campaign: Campaign, keystore: Keystore, now: datetime) -> None:
    from organise.campaigns.lifecycle import expire  # lifecycle imports this module

    if campaign.deadline <= now:
        await expire(campaign.id, keystore=keystore, now=now)
        raise CampaignError(
            _(
                "This campaign's deadline has passed: it has expired and its pledges were "
                "destroyed. You can now destroy your share."
            ),
            status=409,
            code="gate_not_open",
        )


async def submit(
    campaign: Campaign, words: object, *, keystore: Keystore, now: datetime | None = None
) -> ShareOutcome:
    """Check and keep one gatekeeper share; reveal at once if the gate can now open."""
    from organise.campaigns.reveal import reveal  # reveal uses rebuild_key from this module

    now = now or datetime.now(UTC)
    if not isinstance(words, str) or not words.strip():
        raise CampaignError(_("Please enter a share."), code="missing_share")
    if len(words) > MAX_SHARE_CHARS:
        raise CampaignError(_("This is too long to be a share."), code="share_malformed")
    await _expire_if_due(campaign, keystore, now)
    if campaign.state != CampaignState.AWAITING_GATE:
        raise CampaignError(_closed_message(campaign), status=409, code="gate_not_open")
    place = _check_layout(campaign, words)
    normalised = normalise_share(words)
    hashes = campaign.share_hashes
    if hashes is not None:
        pepper = await keys.code_pepper(keystore)
        if not sharecheck.is_dealt(hashes, place[0], place[1], normalised, pepper):
            raise _not_dealt()
    places = await handed_in(campaign, keystore)
    if place in places:
        if places[place] == normalised:
            raise _already_handed_in()
        # Only possible for a campaign made without share hashes.
        raise CampaignError(
            _(
                "A different share has already been handed in for this gatekeeper's place. "
                "Please contact the campaign's organisers."
            ),
            status=409,
            code="share_place_taken",
        )
    name = _place_name(campaign, place)
    try:
        await keys.in_thread(keystore.put, name, normalised.encode("utf-8"))
    except KeystoreError:  # handed in at the same moment by someone else
        raise _already_handed_in() from None
    # A withdrawal may have reopened the campaign (and cleared the shares) meanwhile, or the
    # deadline passed: a share for a gate that is no longer waiting is not kept.
    current = await Campaign.get(id=campaign.id)
    if current.state in (CampaignState.REVEALING, CampaignState.REVEALED):
        # Another gatekeeper's share completed the gate at the same moment; the reveal deletes
        # every handed-in share once it is done.
        return ShareOutcome(still_needed=0, revealed=current.state == CampaignState.REVEALED)
    if current.state != CampaignState.AWAITING_GATE or current.deadline <= now:
        await keys.in_thread(keystore.delete, name)
        await _expire_if_due(current, keystore, now)
        raise CampaignError(_closed_message(current), status=409, code="gate_not_open")
    places[place] = normalised
    needed = policy.gatekeeper_shares_needed(policy.gate_policy(current))
    still_needed = max(0, needed - len(places))
    if still_needed:
        return ShareOutcome(still_needed=still_needed, revealed=False)
    key = await rebuild_key(current, keystore)
    if key is None:
        if hashes is None:
            await keys.delete_prefix(keystore, keys.submitted_prefix(current.id))
            return ShareOutcome(still_needed=needed, revealed=False, mismatch=True)
        # Every share matched its dealt hash: only a concurrent change can get here.
        return ShareOutcome(still_needed=0, revealed=False)
    del key
    revealed = await reveal(
        current.id, from_state=CampaignState.AWAITING_GATE, keystore=keystore, now=now
    )
    return ShareOutcome(still_needed=0, revealed=revealed)
