"""Invite codes: single use, stored only as keyed hashes, deleted when used or revoked.

An organiser's codes may be minted as a named batch (the name and the week stay with the team,
never on a slip) so that the whole batch can be revoked at once. Revoking deletes the codes'
rows, so a revoked code is refused exactly like a used one, and the answer is the same whether
a code had been used or not: no page says how many codes are unused, so nobody can compare
before and after a revoke to learn whether the holders signed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crypto import codes
from crypto.errors import CodeFormatError
from organise.campaigns import policy, team
from organise.campaigns.fields import MAX_BATCH, MAX_BATCH_NAME_CHARS
from organise.campaigns.models import Campaign, InviteBatch, InviteCode, InviteMode
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.submissions.once import Outcomes, Record
from organise.weeks import week_of


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


def require_batch_size(count: object) -> None:
    """How many codes one request may make (a campaign's or a survey's): 1 to MAX_BATCH."""
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise Refused(
            _("Generate between 1 and %(n)d codes at a time.") % {"n": MAX_BATCH},
            code="invalid_count",
        )


async def generate(
    campaign: Campaign,
    count: int,
    *,
    pepper: bytes,
    batch: str = "",
    now: datetime | None = None,
    remember: Record[list[str]] | None = None,
) -> list[str]:
    """A batch of new codes for `campaign`; the codes exist only in the return value (and, for
    `remember`, an `Idempotency-Key`'s encrypted record, kept at most 48 hours).

    `batch`: a name for the batch (the team's own label, never shown on a slip), so that it can
    be revoked whole; empty for codes outside any batch. `remember` runs last in the codes'
    transaction: the record exists if and only if the codes do.
    """
    require_batch_size(count)
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
    name = batch.strip()
    if len(name) > MAX_BATCH_NAME_CHARS:
        raise Refused(
            {"batch": _("A batch name is at most %(n)d characters.") % {"n": MAX_BATCH_NAME_CHARS}},
            code="too_long",
        )
    shown, rows = fresh_codes(count, pepper)
    try:
        async with in_transaction() as connection:
            if name:
                made = await InviteBatch.create(
                    campaign_id=campaign.id,
                    name=name,
                    week=week_of(now or datetime.now(UTC)),
                    using_db=connection,
                )
                for row in rows:
                    row.batch_id = made.id  # type: ignore[attr-defined]
            await store(campaign, rows, connection)
            if remember is not None:
                await remember(connection, shown)
    except IntegrityError:
        raise Refused(
            {"batch": _("This campaign already has a batch named %(name)s.") % {"name": name}},
            status=409,
            code="batch_exists",
        ) from None
    return shown


# Codes minted again with the same Idempotency-Key show the first codes, and make none.
MINTED: Outcomes[list[str]] = Outcomes(
    keep=lambda shown: {"codes": shown}, shown_again=lambda outcome: list(outcome["codes"])
)


async def batches(campaign: Campaign) -> list[InviteBatch]:
    """The campaign's named batches (name, week, revoked), newest first; no counts."""
    return await InviteBatch.filter(campaign_id=campaign.id).order_by("-week", "name")


async def revoke_code(campaign: Campaign, code: str, *, acting: Organiser, pepper: bytes) -> None:
    """Make one code unusable. The same answer whether it was unused, used or never made."""
    await revoke_codes(campaign, [code], acting=acting, pepper=pepper)


async def revoke_codes(
    campaign: Campaign,
    typed: Sequence[str],
    *,
    acting: Organiser,
    pepper: bytes,
    field: str = "code",
) -> None:
    """Make these codes unusable, all or none (every code is read before any is revoked).

    The same answer whether each was unused, used or never made; `field` names the input a
    code that is not a code at all is refused under.
    """
    await team.require_team(campaign, acting)
    hashes = []
    for code in typed:
        try:
            hashes.append(invite_hash(codes.normalise_invite_code(code), pepper))
        except CodeFormatError:
            raise Refused(
                {
                    field: _(
                        "This is not an invite code: a code is 28 letters and digits, usually "
                        "written in groups of four."
                    )
                },
                code="invalid_invite_code",
            ) from None
    await InviteCode.filter(campaign_id=campaign.id, code_hash__in=hashes).delete()


async def revoke_batch(campaign: Campaign, name: str, *, acting: Organiser) -> InviteBatch:
    """Make every code of a named batch unusable; the same answer whatever was used."""
    await team.require_team(campaign, acting)
    found = await InviteBatch.get_or_none(campaign_id=campaign.id, name=name.strip())
    if found is None:
        raise Refused(
            {"batch": _("This campaign has no batch named %(name)s.") % {"name": name.strip()}},
            status=404,
            code="no_batch",
        )
    async with in_transaction() as connection:
        await InviteBatch.filter(id=found.id).using_db(connection).update(revoked=True)
        await InviteCode.filter(batch_id=found.id).using_db(connection).delete()
    found.revoked = True
    return found
