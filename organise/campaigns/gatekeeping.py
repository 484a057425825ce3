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

from shamir_mnemonic.wordlist import WORD_INDEX_MAP

from crypto.errors import KeystoreError, ShareError
from crypto.gate import SHARE_WORDS, inspect_share, normalise_share
from crypto.keystore import Keystore
from organise.campaigns import keys, policy, sharecheck, team
from organise.campaigns.gateshares import Place, handed_in, place_name, rebuild_key
from organise.campaigns.lifecycle import expire
from organise.campaigns.models import Campaign, CampaignState
from organise.campaigns.reveal import reveal
from organise.i18n import _
from organise.i18n.formats import moment
from organise.refusal import Refused

MAX_SHARE_CHARS = 1000


@dataclass(frozen=True)
class ShareOutcome:
    still_needed: int
    revealed: bool
    # Only for campaigns made without share hashes: a full set of shares did not combine into
    # the key, so every handed-in share was cleared.
    mismatch: bool = False
    # Enough shares are in, but the reveal waits for the organisers' team (`team.reveal_hold`);
    # the ticker reveals once it no longer does.
    hold: team.RevealHold | None = None


def hold_message(hold: team.RevealHold) -> str:
    """For gatekeepers: why nothing is revealed although the gate may open."""
    if hold.not_before is None:
        return _(
            "The reveal waits for the organisers' team: nobody on it can receive the pledges "
            "now, so nothing is revealed. If an administrator assigns a new owner, every signer "
            "is told, and the reveal waits one more cooling-off period (at least a day) so that "
            "they can withdraw. You may hand in your share now, or wait until you know who will "
            "read the pledges."
        )
    return _(
        "The reveal waits for the organisers' team: an administrator assigned a new owner to "
        "this campaign, so nothing is revealed before %(when)s, giving signers time to withdraw."
    ) % {"when": moment(hold.not_before)}


async def hold_notice(campaign: Campaign, now: datetime) -> str | None:
    """`hold_message` for a campaign whose reveal waits for its team; None if it does not."""
    hold = await team.reveal_hold(campaign, now)
    return None if hold is None else hold_message(hold)


def outcome_message(outcome: ShareOutcome, *, explain_hold: bool = True) -> str:
    """What a gatekeeper is told once their share was accepted.

    `explain_hold` False: the page says why the reveal waits beside the campaign already."""
    if outcome.revealed:
        return _(
            "Your share was accepted and the gate is open: the pledges have been revealed. You "
            "can now destroy your share."
        )
    if outcome.mismatch:
        return _(
            "The shares handed in did not combine into this campaign's key: at least one of them "
            "was not dealt for this campaign. Every handed-in share has been cleared: please "
            "tell the organisers, and ask the gatekeepers to hand theirs in again."
        )
    if outcome.hold is not None:
        accepted = _(
            "Your share was accepted, and enough shares are in, but nothing is revealed yet."
        )
        return f"{accepted} {hold_message(outcome.hold)}" if explain_hold else accepted
    if outcome.still_needed == 0:
        return _("Your share was accepted. The gate is opening: the pledges are being revealed.")
    return _("Your share was accepted. %(n)d more gatekeeper shares are needed.") % {
        "n": outcome.still_needed
    }


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


def _foreign() -> Refused:
    return Refused(
        _("This share belongs to another campaign, or to another deal of this one."),
        code="share_foreign",
    )


def _check_layout(campaign: Campaign, words: str) -> Place:
    try:
        info = inspect_share(words, identifier=campaign.gate_identifier)
    except ShareError as error:
        raise Refused(share_problem(error, words), code=f"share_{error.reason}") from None
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


def _not_dealt() -> Refused:
    return Refused(
        _(
            "This share is not one of the shares dealt for this campaign. Check that you are "
            "handing in the share you were given for this campaign, word for word."
        ),
        status=422,
        code="share_not_dealt",
    )


def _already_handed_in() -> Refused:
    return Refused(
        _("This share has already been handed in. Thank you."),
        status=409,
        code="share_duplicate",
    )


async def _expire_if_due(campaign: Campaign, keystore: Keystore, now: datetime) -> None:
    if campaign.deadline <= now:
        await expire(campaign.id, keystore=keystore, now=now)
        raise Refused(
            _(
                "This campaign's deadline has passed: it has expired and its pledges were "
                "destroyed. You can now destroy your share."
            ),
            status=409,
            code="gate_not_open",
        )


async def submit(
    campaign: Campaign,
    words: object,
    *,
    keystore: Keystore,
    pepper: bytes,
    now: datetime | None = None,
) -> ShareOutcome:
    """Check and keep one gatekeeper share; reveal at once if the gate can now open."""
    now = now or datetime.now(UTC)
    if not isinstance(words, str) or not words.strip():
        raise Refused(_("Please enter a share."), code="missing_share")
    if len(words) > MAX_SHARE_CHARS:
        raise Refused(_("This is too long to be a share."), code="share_malformed")
    await _expire_if_due(campaign, keystore, now)
    if campaign.state != CampaignState.AWAITING_GATE:
        raise Refused(_closed_message(campaign), status=409, code="gate_not_open")
    place = _check_layout(campaign, words)
    normalised = normalise_share(words)
    hashes = campaign.share_hashes
    if hashes is not None and not sharecheck.is_dealt(
        hashes, place[0], place[1], normalised, pepper
    ):
        raise _not_dealt()
    places = await handed_in(campaign, keystore)
    if place in places:
        if places[place] == normalised:
            raise _already_handed_in()
        # Only possible for a campaign made without share hashes.
        raise Refused(
            _(
                "A different share has already been handed in for this gatekeeper's place. "
                "Please contact the campaign's organisers."
            ),
            status=409,
            code="share_place_taken",
        )
    name = place_name(campaign, place)
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
        raise Refused(_closed_message(current), status=409, code="gate_not_open")
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
    hold = await team.reveal_hold(current, now)
    if hold is not None:  # the shares stay handed in: the ticker reveals once the hold is over
        return ShareOutcome(still_needed=0, revealed=False, hold=hold)
    revealed = await reveal(
        current.id, from_state=CampaignState.AWAITING_GATE, keystore=keystore, now=now
    )
    return ShareOutcome(still_needed=0, revealed=revealed)
