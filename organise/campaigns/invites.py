"""Invite codes: single use, stored only as keyed hashes, deleted when used."""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient

from crypto import codes
from organise.campaigns import policy
from organise.campaigns.fields import MAX_BATCH
from organise.campaigns.models import Campaign, InviteCode, InviteMode
from organise.i18n import _
from organise.refusal import Refused


def invite_hash(normalised_code: str, pepper: bytes) -> str:
    return codes.code_hash(normalised_code, pepper, kind="invite").hex()


def fresh_codes(
    count: int, pepper: bytes, *, generation: int = 0
) -> tuple[list[str], list[InviteCode]]:
    """`count` new codes for display, and unsaved rows holding only their hashes.

    `generation`: 0 for an organiser's batch; onward codes are one more than the code used.
    """
    shown = [codes.new_invite_code() for _ in range(count)]
    return shown, [
        InviteCode(
            code_hash=invite_hash(codes.normalise_invite_code(code), pepper), generation=generation
        )
        for code in shown
    ]


async def store(
    campaign: Campaign, rows: list[InviteCode], connection: BaseDBAsyncClient | None = None
) -> None:
    for row in rows:
        row.campaign_id = campaign.id  # type: ignore[attr-defined]
    if rows:
        await InviteCode.bulk_create(rows, using_db=connection)


async def generate(campaign: Campaign, count: int, *, pepper: bytes) -> list[str]:
    """A batch of new codes for `campaign`; the codes exist only in the return value."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise Refused(
            _("Generate between 1 and %(n)d codes at a time.") % {"n": MAX_BATCH},
            code="invalid_count",
        )
    if campaign.invite_mode == InviteMode.OPEN:
        raise Refused(
            _("This campaign is open to anyone: it needs no invite codes."),
            status=409,
            code="open_campaign",
        )
    if campaign.state not in policy.SIGNABLE:
        raise Refused(
            _("This campaign no longer accepts pledges, so it needs no more invite codes."),
            status=409,
            code="campaign_closed",
        )
    shown, rows = fresh_codes(count, pepper)
    await store(campaign, rows)
    return shown


async def unused_count(campaign: Campaign) -> int:
    return await InviteCode.filter(campaign_id=campaign.id).count()
