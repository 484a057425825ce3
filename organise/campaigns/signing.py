"""Signing a pledge: encrypt first, then consume the code, insert and count in one transaction.

Order of work, and why:

1. Check the input, and look the invite code up (a keyed hash, one read: an unknown or used
   code is refused before any other work, so guessing costs the server little), then seal the
   envelope in memory (`crypto.envelope.seal_pledge`): nothing the worker typed is ever written
   anywhere in the clear.
2. Put the per-pledge key in the keystore *before* the database transaction, so a committed
   pledge always has its key. If the transaction fails, the key is deleted again.
3. One transaction: delete the invite code's row (refused unless exactly one row went; the
   delete hands back the code's generation, so two uses of one code cannot both mint onward
   codes, and only a code of a generation below the campaign's invite depth gives any), insert
   the pledge and any onward codes, then count the pledge with a conditional
   `UPDATE ... WHERE state IN (...) RETURNING ...` (which locks the campaign row on PostgreSQL,
   serialising signatures of one campaign, and hands back the fresh state and count without a
   second read), and, if the revealable set now reaches the threshold, move
   `open -> cooling_off` with a conditional update: the lifecycle event is written only by the
   one transaction whose update changed the row, so the crossing is recorded exactly once.
   The count comes last so that the campaign row stays locked for as few statements as possible.
   That order (code row, then campaign row) is safe because no transaction locks them the other
   way round: expiry and the reveal lock the campaign row but delete the unused codes only after
   they commit (`shredding.clear_leftovers`).
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto import codes
from crypto.envelope import RecordValue, seal_pledge
from crypto.errors import PlaintextTooLarge
from crypto.keystore import Keystore
from organise import typed_codes
from organise.campaigns import clock, counting, invites, keys, policy
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    EventKind,
    InviteCode,
    InviteMode,
    LifecycleEvent,
    Pledge,
)
from organise.i18n import _
from organise.refusal import Refused
from organise.submissions.once import Outcomes, Record, content
from organise.weeks import week_of


@dataclass(frozen=True)
class PledgeInput:
    """A pledge as read by `fields.PLEDGE` (the table checks each field on its own)."""

    name: str
    contact: str = ""
    team: str = ""
    message: str = ""
    personal_threshold: int | None = None
    list_publicly: bool = False
    invite_code: str = field(default="", repr=False)


@dataclass(frozen=True)
class Signed:
    receipt: str = field(repr=False)
    invite_codes: list[str] = field(repr=False)
    state: CampaignState
    threshold_reached: bool  # this signature moved the campaign into cooling-off


def _signed_outcome(signed: Signed) -> dict[str, Any]:
    return {
        "receipt": signed.receipt,
        "invite_codes": list(signed.invite_codes),
        "state": signed.state.value,
    }


def _signed_again(outcome: dict[str, Any]) -> Signed:
    return Signed(
        receipt=outcome["receipt"],
        invite_codes=list(outcome["invite_codes"]),
        state=CampaignState(outcome["state"]),
        threshold_reached=False,  # told once, by the signature that crossed it
    )


# A pledge sent again with its submission token shows the first receipt (and onward codes).
SIGNED = Outcomes(keep=_signed_outcome, shown_again=_signed_again)


def pledge_content(campaign: Campaign, data: PledgeInput) -> bytes:
    """What counts as "the same pledge" for a submission token: the campaign and every field,
    normalised (an invite code typed in lower case or without dashes is the same code)."""
    code = typed_codes.as_sent(data.invite_code, codes.normalise_invite_code)
    values = {**dataclasses.asdict(data), "invite_code": code, "campaign": str(campaign.id)}
    return content("pledge", values)


@dataclass(frozen=True)
class Sealed:
    """A pledge sealed for its campaign: its row (not stored yet) and its key (layer 2), to be
    kept under `key_name` in the keystore."""

    row: Pledge
    key_name: str
    key: bytes = field(repr=False)


def seal(
    campaign: Campaign,
    record: Mapping[str, RecordValue],
    *,
    personal: int,
    receipt_hash: str,
    week: date,
) -> Sealed:
    """Seal `record` for `campaign` (`crypto.envelope.seal_pledge`, bound to the campaign's and
    the new pledge's ids); the row keeps the campaign's deadline, the one the signer agreed to.
    Raises PlaintextTooLarge."""
    pledge_id = uuid.uuid4()
    sealed = seal_pledge(
        record,
        campaign_public_key=campaign.public_key,
        campaign_id=str(campaign.id),
        pledge_id=str(pledge_id),
    )
    row = Pledge(
        id=pledge_id,
        campaign_id=campaign.id,
        envelope=sealed.envelope,
        personal_threshold=personal,
        receipt_hash=receipt_hash,
        week=week,
        deadline=campaign.deadline,
    )
    return Sealed(row=row, key_name=keys.pledge_key(campaign.id, pledge_id), key=sealed.pledge_key)


def _record(campaign: Campaign, data: PledgeInput) -> tuple[dict[str, str | bool], int]:
    personal = data.personal_threshold
    if personal is None:
        personal = campaign.threshold
    # The table knows the bounds of any campaign; the lower one is this campaign's threshold.
    if not campaign.threshold <= personal <= policy.MAX_THRESHOLD:
        raise Refused(
            {
                "personal_threshold": _(
                    "Your own threshold must be a whole number from %(lo)d (the campaign's) "
                    "to %(hi)d, or left empty."
                )
                % {"lo": campaign.threshold, "hi": policy.MAX_THRESHOLD}
            },
            code="invalid_field",
        )
    record: dict[str, str | bool] = {
        "name": data.name,
        "contact": data.contact,
        "team": data.team,
        "message": data.message,
        # Only a public campaign lists anyone publicly; elsewhere the choice is not offered.
        "list_publicly": data.list_publicly and campaign.audience == Audience.PUBLIC,
    }
    return record, personal


def _invite_hash(campaign: Campaign, code: str, pepper: bytes) -> str | None:
    if campaign.invite_mode == InviteMode.OPEN:
        return None
    if not code:
        raise Refused(
            {"invite_code": _("This campaign is by invitation: please enter your invite code.")},
            code="missing_invite_code",
        )
    return invites.invite_hash(typed_codes.invite_code(code), pepper)


def code_refused() -> Refused:
    return Refused(
        _("This invite code is not valid or has already been used."),
        status=403,
        code="invite_code_refused",
    )


async def _code_unused(campaign: Campaign, code_hash: str) -> bool:
    return await InviteCode.exists(code_hash=code_hash, campaign_id=campaign.id)


async def code_is_valid(campaign: Campaign, code: object, pepper: bytes) -> bool:
    """Whether `code` is an unused invite code of this campaign (a keyed hash, one look-up)."""
    normalised = typed_codes.invite_code_or_none(code)
    if campaign.invite_mode == InviteMode.OPEN or normalised is None:
        return False
    return await _code_unused(campaign, invites.invite_hash(normalised, pepper))


def receipt_digest(normalised_receipt: str, pepper: bytes) -> str:
    return codes.code_hash(normalised_receipt, pepper, kind="receipt").hex()


def refuse_if_closed(campaign: Campaign, now: datetime | None = None) -> None:
    if campaign.state not in policy.SIGNABLE or campaign.deadline <= (now or datetime.now(UTC)):
        raise closed_error(campaign)


def closed_error(campaign: Campaign) -> Refused:
    if campaign.state == CampaignState.REVEALING:
        message = _("This campaign is revealing its pledges right now and accepts no more.")
    else:
        message = _("This campaign is closed: it no longer accepts pledges.")
    return Refused(message, status=409, code="campaign_closed")


async def sign(
    campaign: Campaign,
    data: PledgeInput,
    *,
    keystore: Keystore,
    pepper: bytes,
    now: datetime | None = None,
    remember: Record[Signed] | None = None,
) -> Signed:
    """Record one pledge, or raise Refused having stored nothing.

    `remember` (a submission token's record) runs last in the pledge's transaction, with the
    outcome: the record exists if and only if the pledge does.
    """
    now = now or datetime.now(UTC)
    refuse_if_closed(campaign, now)
    record, personal = _record(campaign, data)
    code_hash = _invite_hash(campaign, data.invite_code, pepper)
    # Tested before any work: an unknown code costs one look-up, not a sealing and two
    # keystore writes. The transaction below still decides (two uses of one code race there).
    if code_hash is not None and not await _code_unused(campaign, code_hash):
        raise await _code_refused(campaign, now)

    receipt = codes.new_receipt()
    try:
        sealed = seal(
            campaign,
            record,
            personal=personal,
            receipt_hash=receipt_digest(receipt, pepper),
            week=week_of(now),
        )
    except PlaintextTooLarge:
        raise Refused(
            {"message": _("Your pledge is too long once encoded. Please shorten the message.")},
            code="pledge_too_large",
        ) from None
    onward_shown: list[str] = []
    onward_rows: list[InviteCode] = []
    if (
        campaign.invite_mode == InviteMode.INVITE
        and campaign.onward_invites
        and campaign.invite_depth > 0
    ):
        # Made before the transaction (it is only hashing); given out only if the code used
        # turns out to be of a generation below the depth.
        onward_shown, onward_rows = invites.fresh_codes(campaign.onward_invites, pepper)

    def signed(reached: bool, state: CampaignState, onward_given: bool) -> Signed:
        return Signed(
            receipt=receipt,
            invite_codes=onward_shown if onward_given else [],
            state=state,
            threshold_reached=reached,
        )

    await keys.in_thread(keystore.put, sealed.key_name, sealed.key)
    try:
        return await _commit(
            campaign,
            pledge=sealed.row,
            code_hash=code_hash,
            onward_rows=onward_rows,
            now=now,
            signed=signed,
            remember=remember,
        )
    except BaseException:
        await keys.in_thread(keystore.delete, sealed.key_name)
        raise


@dataclass(frozen=True)
class _Counted:
    state: CampaignState
    pledge_count: int
    threshold: int
    cooling_off_hours: int


async def _count(
    campaign: Campaign, now: datetime, connection: BaseDBAsyncClient
) -> _Counted | None:
    """Add one to the count if the campaign still takes pledges; its fresh values, or None."""
    update = (
        Campaign.filter(id=campaign.id, state__in=policy.SIGNABLE, deadline__gt=now)
        .using_db(connection)
        .update(pledge_count=F("pledge_count") + 1)
    )
    # Tortoise's update has no RETURNING; add it to the query Tortoise built (same filters,
    # same value conversion), which saves re-reading the row inside the transaction.
    update._make_query()
    built: Any = update.query  # pypika's builder methods carry no type hints
    query = built.returning("state", "pledge_count", "threshold", "cooling_off_hours")
    # execute_query_dict: the asyncpg client's execute_query drops the rows of an UPDATE.
    rows = await connection.execute_query_dict(*query.get_parameterized_sql())
    if len(rows) != 1:
        return None
    row = rows[0]
    return _Counted(
        state=CampaignState(row["state"]),
        pledge_count=int(row["pledge_count"]),
        threshold=int(row["threshold"]),
        cooling_off_hours=int(row["cooling_off_hours"]),
    )


async def _use_code(
    campaign: Campaign, code_hash: str, now: datetime, connection: BaseDBAsyncClient
) -> int:
    """Delete the code's row and return its generation, or raise Refused.

    `DELETE ... RETURNING generation`: the generation comes from the very row this transaction
    deleted, so of two concurrent uses of one code only the one that deleted it learns it.
    """
    delete = (
        InviteCode.filter(code_hash=code_hash, campaign_id=campaign.id)
        .using_db(connection)
        .delete()
    )
    delete._make_query()
    built: Any = delete.query  # pypika's builder methods carry no type hints
    query = built.returning("generation")
    rows = await connection.execute_query_dict(*query.get_parameterized_sql())
    if len(rows) == 1:
        return int(rows[0]["generation"])
    raise await _code_refused(campaign, now, connection)


async def _code_refused(
    campaign: Campaign, now: datetime, connection: BaseDBAsyncClient | None = None
) -> Refused:
    """Why a code was not found: the campaign has closed (whatever the code), or the code."""
    # A read, not the counting update: refused codes never queue on the row lock.
    found = await Campaign.filter(id=campaign.id).using_db(connection).get()
    if found.state not in policy.SIGNABLE or found.deadline <= now:
        return closed_error(found)  # a closed campaign says so, whatever the code
    return code_refused()


async def _commit(
    campaign: Campaign,
    *,
    pledge: Pledge,
    code_hash: str | None,
    onward_rows: list[InviteCode],
    now: datetime,
    signed: Callable[[bool, CampaignState, bool], Signed],
    remember: Record[Signed] | None,
) -> Signed:
    """The outcome, from (threshold reached by this pledge, state, onward codes stored)."""
    async with in_transaction() as connection:
        if code_hash is not None:
            generation = await _use_code(campaign, code_hash, now, connection)
            # The depth is fixed at creation, so the row read before the transaction is current.
            if generation < campaign.invite_depth:
                for row in onward_rows:
                    row.generation = generation + 1
            else:
                onward_rows = []
        else:
            onward_rows = []
        await pledge.save(using_db=connection, force_create=True)
        await invites.store(campaign, onward_rows, connection)
        current = await _count(campaign, now, connection)
        if current is None:
            raise closed_error(await Campaign.filter(id=campaign.id).using_db(connection).get())
        reached = False
        if current.state == CampaignState.OPEN and current.pledge_count >= current.threshold:
            _cutoff, size = await counting.revealable(campaign.id, now, connection)
            if size >= current.threshold:
                moved = (
                    await Campaign.filter(id=campaign.id, state=CampaignState.OPEN)
                    .using_db(connection)
                    .update(
                        state=CampaignState.COOLING_OFF,
                        cooling_off_ends_at=clock.cooling_off_end(now, current.cooling_off_hours),
                    )
                )
                if moved == 1:
                    reached = True
                    await LifecycleEvent.create(
                        campaign_id=campaign.id,
                        kind=EventKind.THRESHOLD_REACHED,
                        at=clock.week_start(now),
                        using_db=connection,
                    )
        outcome = signed(
            reached, CampaignState.COOLING_OFF if reached else current.state, bool(onward_rows)
        )
        if remember is not None:
            await remember(connection, outcome)
        return outcome
