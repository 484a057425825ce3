"""One-time share links: a gatekeeper without an account gets their share through a link.

At creation the server deals each gatekeeper share in memory and stores it only encrypted under
a key derived from a fresh link secret (32 random bytes, in the link's path and nowhere else):

    row id  = BLAKE2b-256(secret, key = code pepper, person "organise:sharelk")
    key     = BLAKE2b-256(secret, key = code pepper, person "organise:shareky")
    stored  = crypto.atrest.encrypt_field(key, share, context = "share-link:<row id>")

The organiser is given the links, never the shares. The database and the keystore together
(the pepper) do not open a share: the secret is needed, and it has 256 bits.

Opening the link (GET) only shows a confirmation page, so a messenger fetching a link preview
uses nothing up. A POST from that page shows the share, as often as asked (a reload or a failed
print loses nothing), and notes the week it was first shown. When the gatekeeper confirms they
wrote it down, the encrypted share is deleted: every later attempt says plainly that the share
was already taken, and when. A dealer who peeked and confirmed is caught that way; one who can
also put back an older database copy is not (docs/crypto.md).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from crypto import atrest, codes
from crypto.errors import EnvelopeError
from organise.campaigns import policy
from organise.campaigns.models import Campaign, ShareLink
from organise.i18n import _
from organise.i18n.formats import day
from organise.refusal import Refused
from organise.weeks import week_of

SECRET_BYTES = 32
_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{43}")


def _lookup(secret: str, pepper: bytes) -> str:
    return codes.code_hash(secret, pepper, kind="sharelk").hex()


def _key(secret: str, pepper: bytes) -> bytes:
    return codes.code_hash(secret, pepper, kind="shareky")


def _context(lookup: str) -> str:
    return f"share-link:{lookup}"


def deal(
    campaign_id: uuid.UUID, shares: Sequence[str], pepper: bytes
) -> tuple[list[ShareLink], list[str]]:
    """A row and a secret per share; the secrets go into the links and are never stored."""
    rows, secrets_ = [], []
    for number, share in enumerate(shares, start=1):
        secret = codes.new_token(SECRET_BYTES)
        lookup = _lookup(secret, pepper)
        encrypted = atrest.encrypt_field(
            _key(secret, pepper), share.encode("utf-8"), context=_context(lookup)
        )
        rows.append(
            ShareLink(
                lookup_hash=lookup,
                campaign_id=campaign_id,
                number=number,
                encrypted_share=encrypted,
            )
        )
        secrets_.append(secret)
    return rows, secrets_


def _unknown() -> Refused:
    return Refused(
        _("This share link is not known. Check that you copied the whole link."),
        status=404,
        code="share_link_unknown",
    )


def _taken(week: date) -> Refused:
    return Refused(
        _(
            "This share was already taken, in the week of %(week)s, and is no longer on the "
            "server. If you did not take it yourself, someone else saw it: tell the campaign's "
            "organisers at once, by another channel."
        )
        % {"week": day(week)},
        status=410,
        code="share_link_taken",
    )


def _over(campaign: Campaign) -> Refused:
    return Refused(
        policy.share_no_longer_needed(campaign.state, stopped=campaign.stopped),
        status=410,
        code="campaign_over",
    )


async def find(secret: str, pepper: bytes) -> ShareLink:
    """The link's row, refused if unknown or already taken (nothing about the share shown)."""
    if not _SECRET_PATTERN.fullmatch(secret):
        raise _unknown()
    row = await ShareLink.get_or_none(lookup_hash=_lookup(secret, pepper)).prefetch_related(
        "campaign"
    )
    if row is None:
        raise _unknown()
    if row.taken_week is not None:
        raise _taken(row.taken_week)
    if row.campaign.state in policy.ENDED:  # its share was emptied with the campaign
        raise _over(row.campaign)
    if row.encrypted_share is None:
        raise _unknown()
    return row


@dataclass(frozen=True)
class Shown:
    link: ShareLink
    words: str
    # The week the share was first shown, if before this time: a hint that someone else may
    # have seen it (or the gatekeeper, who reloaded).
    shown_before: date | None


async def show(secret: str, pepper: bytes, now: datetime) -> Shown:
    row = await find(secret, pepper)
    encrypted = row.encrypted_share
    if encrypted is None:
        raise _unknown()
    try:
        words = atrest.decrypt_field(
            _key(secret, pepper), encrypted, context=_context(row.lookup_hash)
        ).decode("utf-8")
    except EnvelopeError:
        raise _unknown() from None
    shown_before = row.first_shown_week
    if shown_before is None:
        await ShareLink.filter(lookup_hash=row.lookup_hash, first_shown_week=None).update(
            first_shown_week=week_of(now)
        )
    return Shown(link=row, words=words, shown_before=shown_before)


async def confirm_taken(secret: str, pepper: bytes, now: datetime) -> ShareLink:
    """The gatekeeper wrote the share down: delete it from the server, for good."""
    row = await find(secret, pepper)
    done = await ShareLink.filter(lookup_hash=row.lookup_hash, taken_week=None).update(
        encrypted_share=None, taken_week=week_of(now)
    )
    if not done:  # confirmed at the same moment from elsewhere
        raise _taken(week_of(now))
    return row


def _status(row: ShareLink) -> str:
    if row.taken_week is not None:
        return "taken"
    if row.encrypted_share is None:
        return "deleted"  # emptied when the campaign ended
    return "shown" if row.first_shown_week is not None else "waiting"


async def status_of(campaign_id: uuid.UUID) -> list[tuple[int, str]]:
    """(link number, "waiting" | "shown" | "taken" | "deleted") for the organisers' page."""
    rows = await ShareLink.filter(campaign_id=campaign_id).order_by("number")
    return [(row.number, _status(row)) for row in rows]
