"""Moving a campaign's deadline later, and each pledge's own deadline.

A signer agreed to "if N of us by date D". When the team extends the deadline, a pledge keeps
the deadline its signer agreed to (`Pledge.deadline`) unless the signer opts in to the new one
with their receipt (`opt_in`). A pledge not revealed by its own deadline is destroyed then
(`drop_lapsed`, from the tick), exactly as a withdrawal destroys one: its row goes in one
transaction that also takes it off the count, recomputes the set that may be revealed and,
where that falls below the threshold, goes back to `open` with a `threshold_lost` event; its key
is deleted after the commit through the withdrawn-key marker rows. Until the tick has run, the
set that may be revealed already leaves it out (`counting.within_deadline`). A reveal already
under way wins (it claimed the campaign before the pledge's deadline), as at expiry.

Every writer of a pledge's deadline (extension, opt-in) and its destruction take the campaign
row's lock first, so none of them sees the others half done.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from organise.campaigns import counting, keys, policy, receipts, team
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    Pledge,
    WithdrawnKey,
)
from organise.db import column_values
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused

# A new deadline is at least this far ahead: signers need time to hear of it and opt in.
MIN_EXTENSION_AHEAD = timedelta(hours=24)
# States in which unrevealed pledges wait for a deadline (after a reveal: those left sealed).
_HOLDING = (*policy.ACTIVE, CampaignState.REVEALED)
_CHUNK = 500


async def extend_deadline(
    campaign: Campaign, deadline: datetime, *, acting: Organiser, now: datetime | None = None
) -> Campaign:
    """Move the campaign's deadline later; pledges signed so far keep their own."""
    now = now or datetime.now(UTC)
    await team.require_team(campaign, acting)
    if campaign.state not in policy.ACTIVE or campaign.deadline <= now:
        raise Refused(
            _("This campaign has ended or is revealing: its deadline can no longer move."),
            status=409,
            code="campaign_closed",
        )
    if deadline < now + MIN_EXTENSION_AHEAD or deadline > now + policy.MAX_DEADLINE_AHEAD:
        raise Refused(
            {
                "deadline": _(
                    "The new deadline must be at least 24 hours from now and at most three "
                    "years ahead."
                )
            },
            code="invalid_deadline",
        )
    if deadline <= campaign.deadline:
        raise Refused(
            {
                "deadline": _(
                    "The new deadline must be later than the current one (%(when)s): a "
                    "deadline is never brought forward. Stop the campaign instead."
                )
                % {"when": f"{campaign.deadline:%Y-%m-%d %H:%M} UTC"}
            },
            code="invalid_deadline",
        )
    async with in_transaction() as connection:
        current = (
            await Campaign.filter(id=campaign.id, state__in=policy.ACTIVE, deadline__gt=now)
            .using_db(connection)
            .select_for_update()
            .first()
        )
        if current is None or current.deadline >= deadline:
            raise Refused(
                _("This campaign changed meanwhile; look at it again."),
                status=409,
                code="campaign_changed",
            )
        # Rows from before pledges had their own deadline agreed to this one.
        await (
            Pledge.filter(campaign_id=campaign.id, deadline__isnull=True)
            .using_db(connection)
            .update(deadline=current.deadline)
        )
        await (
            Campaign.filter(id=campaign.id)
            .using_db(connection)
            .update(deadline=deadline, deadline_moved_from=current.deadline)
        )
        await LifecycleEvent.create(
            campaign_id=campaign.id,
            kind=EventKind.DEADLINE_EXTENDED,
            at=now,  # the team's act, not a signer's
            using_db=connection,
        )
    return await Campaign.get(id=campaign.id)


async def opt_in(receipt: str, *, pepper: bytes, now: datetime | None = None) -> Pledge:
    """The signer keeps their pledge until the campaign's current deadline."""
    now = now or datetime.now(UTC)
    pledge = await receipts.find_pledge(receipt, pepper=pepper)
    async with in_transaction() as connection:
        campaign = (
            await Campaign.filter(id=pledge.campaign.id, state__in=policy.ACTIVE, deadline__gt=now)
            .using_db(connection)
            .select_for_update()
            .first()
        )
        if campaign is None:
            raise Refused(
                _("This campaign is revealing or has ended: its deadline can no longer change."),
                status=409,
                code="campaign_closed",
            )
        moved = (
            await Pledge.filter(counting.within_deadline(now), id=pledge.id, revealed=False)
            .using_db(connection)
            .update(deadline=campaign.deadline)
        )
        if moved != 1:
            raise Refused(
                _(
                    "Your pledge's own deadline has passed: it has been or is being destroyed, "
                    "unread."
                ),
                status=409,
                code="pledge_deadline_passed",
            )
    pledge.deadline = campaign.deadline
    pledge.campaign = campaign
    return pledge


async def with_lapsed_pledges(now: datetime) -> list[Campaign]:
    """Campaigns holding unrevealed pledges past their own deadline (for the tick)."""
    ids = await column_values(
        Pledge.filter(revealed=False, deadline__lte=now, campaign__state__in=_HOLDING).distinct(),
        "campaign_id",
    )
    return await Campaign.filter(id__in=list(set(ids))) if ids else []


async def drop_lapsed(campaign_id: UUID, *, keystore: Keystore, now: datetime) -> int:
    """Destroy the campaign's unrevealed pledges past their own deadline; how many went."""
    async with in_transaction() as connection:
        # The campaign row's lock first, as a withdrawal takes it: signatures, withdrawals,
        # opt-ins and reveal claims of this campaign wait until the count is right again.
        campaign = (
            await Campaign.filter(id=campaign_id, state__in=_HOLDING)
            .using_db(connection)
            .select_for_update()
            .first()
        )
        if campaign is None:
            return 0
        lapsed = await column_values(
            Pledge.filter(campaign_id=campaign_id, revealed=False, deadline__lte=now).using_db(
                connection
            ),
            "id",
        )
        if not lapsed:
            return 0
        for start in range(0, len(lapsed), _CHUNK):
            await Pledge.filter(id__in=lapsed[start : start + _CHUNK]).using_db(connection).delete()
        names = [keys.pledge_key(campaign_id, pledge_id) for pledge_id in lapsed]
        await WithdrawnKey.bulk_create(
            [WithdrawnKey(name=name) for name in names], using_db=connection
        )
        await (
            Campaign.filter(id=campaign_id)
            .using_db(connection)
            .update(
                pledge_count=F("pledge_count") - len(lapsed),
                destroyed_count=F("destroyed_count") + len(lapsed),
            )
        )
        await LifecycleEvent.create(
            campaign_id=campaign_id,
            kind=EventKind.LAPSED,
            at=now,  # a deadline the team set
            count=len(lapsed),
            using_db=connection,
        )
        threshold_lost = await counting.fall_back_if_below(campaign, now, connection)
    # After the commit, as for a withdrawal; a crash here is finished by the next tick.
    await keys.delete_names(keystore, names)
    for start in range(0, len(names), _CHUNK):
        await WithdrawnKey.filter(name__in=names[start : start + _CHUNK]).delete()
    if threshold_lost:
        # Shares handed in for a gate that has closed again are not kept.
        await keys.delete_prefix(keystore, keys.submitted_prefix(campaign_id))
    return len(lapsed)
