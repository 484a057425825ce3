"""Gatekeeper shares held by gatekeeper accounts: sealed at creation, released by passphrase.

When a campaign names gatekeeper accounts, each share the server deals (in memory, at creation)
is sealed (crypto.sealing) to that gatekeeper's own public key and stored as a `HeldShare`; it is
shown to nobody, the creating organiser included. The gatekeeper's key pair was made under a
passphrase only they typed (enrolment), so neither the organiser, nor the admin who created the
account, nor a database-plus-keystore copy opens it.

Once the campaign awaits its gate, the gatekeeper's share page says the campaign asks for their
share; they release it by typing their passphrase again (and a code from their app if they set
up two-step sign-in). The server unwraps their private key, opens the sealed share and hands it
in through `gatekeeping.submit`, like a share typed in by hand.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from nacl.public import PrivateKey

from crypto import keywrap
from crypto.errors import EnvelopeError, WrongPassphrase
from crypto.keystore import Keystore
from crypto.sealing import open_sealed, reseal_to_new_key, seal_to_recipients
from organise.campaigns import gatekeeping
from organise.campaigns.models import Campaign, CampaignState, HeldShare
from organise.campaigns.policy import ENDED, share_no_longer_needed
from organise.i18n import _
from organise.organisers import accounts, enrolment, totp
from organise.organisers.models import Organiser, Role
from organise.refusal import Refused


def share_context(campaign_id: uuid.UUID, organiser_id: uuid.UUID) -> str:
    return f"organise/campaign/{campaign_id}/held-share/{organiser_id}"


def parse_usernames(text: str) -> list[str]:
    """ "alice, bob,carol" -> ["alice", "bob", "carol"] (empty parts ignored)."""
    return [part.strip().lower() for part in text.split(",") if part.strip()]


@dataclass(frozen=True)
class Holder:
    username: str
    fingerprint: str


async def gatekeeper_accounts(usernames: Sequence[str], count: int) -> list[Organiser]:
    """The accounts named, in order; refused unless each is an enrolled gatekeeper, once."""
    if len(set(usernames)) != len(usernames):
        raise Refused(
            {"gatekeeper_accounts": _("Name each gatekeeper account once.")},
            code="gatekeeper_accounts_invalid",
        )
    if len(usernames) != count:
        raise Refused(
            {
                "gatekeeper_accounts": _(
                    "Name one gatekeeper account per gatekeeper: %(count)d accounts, "
                    "%(named)d named."
                )
                % {"count": count, "named": len(usernames)}
            },
            code="gatekeeper_accounts_invalid",
        )
    found = {o.username: o for o in await Organiser.filter(username__in=list(usernames))}
    problems = []
    for name in usernames:
        organiser = found.get(name)
        if organiser is None or organiser.role != Role.GATEKEEPER:
            problems.append(_("%(name)s is not a gatekeeper account.") % {"name": name})
        elif not organiser.enrolled or organiser.public_key is None:
            problems.append(
                _(
                    "%(name)s has not enrolled yet (or not signed in since keys became their "
                    "own): its key is not one only its holder knows."
                )
                % {"name": name}
            )
    if problems:
        raise Refused({"gatekeeper_accounts": " ".join(problems)}, code="gatekeeper_not_usable")
    return [found[name] for name in usernames]


def seal_shares(
    campaign_id: uuid.UUID, holders: Sequence[Organiser], shares: Sequence[str]
) -> list[HeldShare]:
    """One sealed row per gatekeeper; share i goes to holder i. Nothing else keeps the share."""
    rows = []
    for holder, share in zip(holders, shares, strict=True):
        if holder.public_key is None:
            raise ValueError("A gatekeeper without a key cannot hold a share.")
        sealed = seal_to_recipients(
            share.encode("utf-8"),
            [holder.public_key],
            context=share_context(campaign_id, holder.id),
        )
        rows.append(HeldShare(campaign_id=campaign_id, organiser_id=holder.id, sealed_share=sealed))
    return rows


async def reseal_for_new_key(
    organiser: Organiser, old_key: PrivateKey, new_public_key: bytes
) -> int:
    """Seal the shares held for this account to its new public key (when it is re-keyed).

    Call it inside the transaction that stores the new key. A share emptied meanwhile (handed
    in, or its campaign ended) stays empty; one that the old key does not open (sealed to an
    even older key) is left as it is. Returns how many were sealed again.
    """
    resealed = 0
    for held in await HeldShare.filter(organiser_id=organiser.id, sealed_share__isnull=False):
        if held.sealed_share is None:
            continue
        try:
            sealed = reseal_to_new_key(
                bytes(held.sealed_share),
                old_key,
                new_public_key,
                context=share_context(held.campaign_id, organiser.id),
            )
        except EnvelopeError:
            continue
        resealed += await HeldShare.filter(id=held.id, sealed_share__isnull=False).update(
            sealed_share=sealed
        )
    return resealed


def holders_of(accounts_: Sequence[Organiser]) -> tuple[Holder, ...]:
    return tuple(
        Holder(username=o.username, fingerprint=enrolment.fingerprint(o) or "") for o in accounts_
    )


async def held_by(organiser: Organiser) -> list[HeldShare]:
    """The shares this gatekeeper holds, the campaigns asking for them first."""
    rows = await HeldShare.filter(organiser_id=organiser.id).prefetch_related("campaign")
    return sorted(
        rows,
        key=lambda row: (
            row.campaign.state != CampaignState.AWAITING_GATE,
            row.handed_in,
            row.campaign.title,
        ),
    )


def _status(row: HeldShare) -> str:
    if row.handed_in:
        return "handed_in"
    return "deleted" if row.sealed_share is None else "waiting"  # emptied when it ended


async def holders_for(campaign: Campaign) -> list[tuple[str, str, str]]:
    """(account name, fingerprint words, "handed_in" | "waiting" | "deleted") for each
    gatekeeper account of a campaign."""
    rows = await HeldShare.filter(campaign_id=campaign.id).prefetch_related("organiser")
    return sorted(
        (row.organiser.username, enrolment.fingerprint(row.organiser) or "", _status(row))
        for row in rows
    )


def _wrong() -> Refused:
    return Refused(
        {"passphrase": _("That passphrase or code is not right.")},
        status=400,
        code="wrong_passphrase",
    )


async def release(
    held_id: str,
    organiser: Organiser,
    *,
    passphrase: str,
    totp_code: str,
    keystore: Keystore,
    pepper: bytes,
    policy: accounts.ThrottlePolicy,
    field_key: bytes,
    now: datetime,
) -> gatekeeping.ShareOutcome:
    """Open the gatekeeper's sealed share with their key and hand it in."""
    try:
        wanted = uuid.UUID(held_id)
    except ValueError:
        wanted = None
    held = (
        await HeldShare.get_or_none(id=wanted, organiser_id=organiser.id).prefetch_related(
            "campaign"
        )
        if wanted
        else None
    )
    if held is None:
        raise Refused(_("There is no such share."), status=404, code="not_found")
    if held.campaign.state in ENDED:
        raise Refused(
            share_no_longer_needed(held.campaign.state, stopped=held.campaign.stopped),
            status=410,
            code="campaign_over",
        )
    if held.handed_in or held.sealed_share is None:
        raise Refused(
            _("This share has already been handed in. Thank you."),
            status=409,
            code="share_duplicate",
        )
    if held.campaign.state != CampaignState.AWAITING_GATE:
        raise Refused(
            _("This campaign is not asking for your share now. Keep it; nothing to do yet."),
            status=409,
            code="gate_not_open",
        )
    # Counted like a sign-in: a session left open is no unthrottled passphrase oracle.
    if not await accounts.passphrase_matches(organiser, passphrase, policy):
        raise _wrong()
    if organiser.has_totp and not await totp.accept_code(organiser, totp_code, field_key=field_key):
        raise _wrong()
    wrapped = organiser.wrapped_private_key
    if wrapped is None:
        raise _wrong()
    try:
        private_key = await accounts.in_kdf_thread(keywrap.unwrap_private_key, wrapped, passphrase)
        words = open_sealed(
            held.sealed_share, private_key, context=share_context(held.campaign_id, organiser.id)
        ).decode("utf-8")
    except (WrongPassphrase, EnvelopeError):
        # Sealed to a key the account no longer holds (re-keyed before re-keying sealed held
        # shares again): its old key is gone.
        raise Refused(
            _(
                "Your share cannot be opened with your current key. Tell the campaign's "
                "organisers: the other gatekeepers may still be enough."
            ),
            status=409,
            code="share_unreadable",
        ) from None
    outcome = await gatekeeping.submit(
        held.campaign, words, keystore=keystore, pepper=pepper, now=now
    )
    del words
    await HeldShare.filter(id=held.id).update(handed_in=True, sealed_share=None)
    return outcome
