"""What a receipt lets a worker do: see their pledge's state, and withdraw it before the reveal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto import codes
from crypto.keystore import Keystore
from organise import typed_codes
from organise.campaigns import counting, keys, policy, release
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    Pledge,
    WithdrawnKey,
)
from organise.campaigns.signing import receipt_digest
from organise.db import column_values
from organise.i18n import _
from organise.refusal import Refused
from organise.submissions.once import Outcomes, Record, content

PledgeState = Literal["sealed", "revealed", "not_revealed"]


@dataclass(frozen=True)
class PledgeStatus:
    campaign: Campaign
    pledge: PledgeState
    # Revealed co-signers (name, contact, team, message), only for a revealed pledge of a
    # campaign whose audience includes co-signers.
    cosigners: list[dict[str, str]] | None
    # The revealed lists were destroyed at the end of the campaign's retention period.
    list_destroyed: bool = False
    # The deadline this pledge's signer agreed to, when it is earlier than the campaign's
    # (the campaign's was extended and they have not opted in to it: `deadlines`).
    own_deadline: datetime | None = None


def _receipt_hash(receipt: str, pepper: bytes) -> str:
    """The keyed hash of a receipt read by `fields.RECEIPT` (present, not too long)."""
    return receipt_digest(typed_codes.receipt(receipt), pepper)


def withdrawal_content(receipt: str) -> bytes:
    """What counts as "the same withdrawal" for a submission token: the receipt, normalised."""
    return content("withdrawal", {"receipt": typed_codes.as_sent(receipt, codes.normalise_receipt)})


async def is_known(receipt: object, *, pepper: bytes) -> bool:
    """Whether `receipt` is the receipt of a pledge still held (a keyed hash, one look-up)."""
    normalised = typed_codes.receipt_or_none(receipt)
    if normalised is None:
        return False
    return await Pledge.exists(receipt_hash=receipt_digest(normalised, pepper))


async def find_pledge(receipt: str, *, pepper: bytes) -> Pledge:
    pledge = await Pledge.get_or_none(receipt_hash=_receipt_hash(receipt, pepper)).prefetch_related(
        "campaign"
    )
    if pledge is None:
        raise Refused(
            _(
                "No pledge matches this receipt. It may have been withdrawn, or its campaign "
                "has ended and its sealed pledges were destroyed."
            ),
            status=404,
            code="unknown_receipt",
        )
    return pledge


async def status(receipt: str, *, keystore: Keystore, pepper: bytes) -> PledgeStatus:
    pledge = await find_pledge(receipt, pepper=pepper)
    campaign: Campaign = pledge.campaign
    if pledge.revealed:
        if campaign.release_destroyed:
            return PledgeStatus(campaign, "revealed", None, list_destroyed=True)
        cosigners = None
        if campaign.audience in (Audience.COSIGNERS, Audience.PUBLIC):
            cosigners = await release.cosigners(campaign, keystore=keystore)
        return PledgeStatus(campaign, "revealed", cosigners)
    earlier = pledge.deadline if pledge.deadline and pledge.deadline < campaign.deadline else None
    if campaign.state == CampaignState.REVEALED:
        return PledgeStatus(campaign, "not_revealed", None, own_deadline=earlier)
    return PledgeStatus(campaign, "sealed", None, own_deadline=earlier)


@dataclass(frozen=True)
class Withdrawn:
    """What a withdrawal answers: the campaign (address, title) and its state afterwards."""

    slug: str
    title: str
    state: CampaignState


def _withdrawn_outcome(withdrawn: Withdrawn) -> dict[str, str]:
    return {"slug": withdrawn.slug, "title": withdrawn.title, "state": withdrawn.state.value}


def _withdrawn_again(outcome: dict[str, Any]) -> Withdrawn:
    return Withdrawn(outcome["slug"], outcome["title"], CampaignState(outcome["state"]))


# A withdrawal sent again with its submission token answers as the first one did.
WITHDRAWN = Outcomes(keep=_withdrawn_outcome, shown_again=_withdrawn_again)


async def withdraw(
    receipt: str,
    *,
    keystore: Keystore,
    pepper: bytes,
    now: datetime | None = None,
    remember: Record[Withdrawn] | None = None,
) -> Withdrawn:
    """Delete the pledge and its key. Refused once the pledge is revealed or being revealed.

    `remember` (a submission token's record) runs last in the withdrawal's transaction.
    """
    now = now or datetime.now(UTC)
    pledge = await find_pledge(receipt, pepper=pepper)
    campaign: Campaign = pledge.campaign
    if pledge.revealed:
        raise Refused(
            _("Your pledge has already been revealed; it can no longer be withdrawn."),
            status=409,
            code="already_revealed",
        )
    async with in_transaction() as connection:
        # Locks the campaign row: a reveal cannot start while this withdrawal is under way,
        # and one that has started makes this update match nothing.
        counted = (
            await Campaign.filter(id=campaign.id, state__in=policy.WITHDRAWABLE)
            .using_db(connection)
            .update(pledge_count=F("pledge_count") - 1)
        )
        if counted != 1:
            raise Refused(
                _("This campaign is revealing or has ended: pledges can no longer be withdrawn."),
                status=409,
                code="campaign_closed",
            )
        gone = await Pledge.filter(id=pledge.id, revealed=False).using_db(connection).delete()
        if gone != 1:
            raise Refused(
                _("This pledge has already been withdrawn or revealed."),
                status=409,
                code="already_gone",
            )
        current = await Campaign.filter(id=campaign.id).using_db(connection).get()
        threshold_lost = await counting.fall_back_if_below(current, now, connection)
        if threshold_lost:
            current.state = CampaignState.OPEN
        # The key is deleted only once the pledge row is gone for good (after the commit): a
        # failed commit must not leave a counted pledge without its key. The marker row makes
        # the next tick finish the job if this process dies before deleting it.
        key_name = keys.pledge_key(campaign.id, pledge.id)
        await WithdrawnKey.create(name=key_name, using_db=connection)
        withdrawn = Withdrawn(current.slug, current.title, current.state)
        if remember is not None:
            await remember(connection, withdrawn)
    await finish_withdrawal(keystore, key_name)
    if threshold_lost:
        # Shares handed in for a gate that has closed again are not kept.
        await keys.delete_prefix(keystore, keys.submitted_prefix(campaign.id))
    return withdrawn


async def finish_withdrawal(keystore: Keystore, key_name: str) -> None:
    """Delete a withdrawn pledge's key, then its marker row."""
    await keys.in_thread(keystore.delete, key_name)
    await WithdrawnKey.filter(name=key_name).delete()


async def finish_withdrawals(keystore: Keystore) -> int:
    """Delete the keys of withdrawals whose process died before deleting them (tick)."""
    names = await column_values(WithdrawnKey.all().limit(1000), "name")
    if names:
        await keys.delete_names(keystore, names)
        await WithdrawnKey.filter(name__in=names).delete()
    return len(names)
