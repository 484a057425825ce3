"""Time-based transitions, run by the in-server ticker and by `organise tick` (cron).

Every transition is a conditional update (`UPDATE ... WHERE state = <what we saw>`) and the
lifecycle event is written in the same transaction only when that update changed the row: any
number of processes may tick at once, and each transition happens, and is logged, once.

- deadline passed before the reveal -> `expired`: every pledge row and key, the server's share,
  any handed-in shares and the gatekeeper shares still held on the server (for accounts, or
  behind links not yet taken) are deleted; the number destroyed is kept for the public page (a
  campaign its organisers stop takes this same path, `operations.stop`);
- a pledge's own deadline passed (its signer kept an earlier deadline, `deadlines`) -> it is
  destroyed, and the count and threshold recomputed;
- cooling-off over -> reveal (server alone) or `awaiting_gate` (gatekeepers needed); a reveal
  waits while the team has nobody to seal it to, and until `reveal_not_before` (`team`);
- awaiting the gate with enough shares (e.g. after a crash) -> reveal;
- deadline passed after a reveal -> pledges left sealed are shredded;
- `keep_revealed_days` after a reveal -> the revealed lists are destroyed (`retention`);
- a reveal claim older than `claims.STALE_CLAIM` (its process died) is released;
- keys still pending deletion after a committed transition (or withdrawal) are deleted, and
  the envelopes of the pledges revealed by an earlier tick are emptied (their keys went at the
  reveal);
- submission day keys 48 hours old, and the records made under them, are deleted
  (organise/submissions).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from organise import claims
from organise.campaigns import deadlines, gateshares, policy, receipts, retention, shredding, team
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    Pledge,
)
from organise.campaigns.reveal import reveal
from organise.submissions import once

log = logging.getLogger("organise.campaigns")
T = TypeVar("T")


@dataclass
class TickReport:
    expired: int = 0
    lapsed: int = 0  # pledges destroyed at their own (earlier) deadline
    awaiting_gate: int = 0
    revealed: int = 0
    shredded: int = 0
    releases_destroyed: int = 0
    claims_released: int = 0
    keys_cleared: int = 0
    withdrawn_keys_cleared: int = 0
    submission_day_keys_deleted: int = 0
    submission_records_deleted: int = 0
    errors: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)


async def expire(
    campaign_id: UUID, *, keystore: Keystore, now: datetime, stopped: bool = False
) -> bool:
    """Destroy every pledge of a campaign whose deadline passed before its reveal.

    `stopped`: its organisers stop it early (`operations.stop`), whatever the deadline; the
    same destruction, logged as `stopped`.
    """
    due = {} if stopped else {"deadline__lte": now}
    async with in_transaction() as connection:
        moved = (
            await Campaign.filter(id=campaign_id, state__in=policy.ACTIVE, **due)
            .using_db(connection)
            .update(state=CampaignState.EXPIRED, keys_pending=True, stopped=stopped)
        )
        if moved != 1:
            return False
        destroyed = await Pledge.filter(campaign_id=campaign_id).using_db(connection).delete()
        await (
            Campaign.filter(id=campaign_id)
            .using_db(connection)
            .update(destroyed_count=destroyed, pledge_count=0, cooling_off_ends_at=None)
        )
        await LifecycleEvent.create(
            campaign_id=campaign_id,
            kind=EventKind.STOPPED if stopped else EventKind.EXPIRED,
            at=now,
            count=destroyed,
            using_db=connection,
        )
    await shredding.clear_leftovers(campaign_id, keystore)
    return True


async def shred(campaign_id: UUID, *, keystore: Keystore, now: datetime) -> bool:
    """After a reveal, at the deadline: destroy the pledges that stayed sealed."""
    async with in_transaction() as connection:
        moved = (
            await Campaign.filter(
                id=campaign_id, state=CampaignState.REVEALED, shredded=False, deadline__lte=now
            )
            .using_db(connection)
            .update(shredded=True, keys_pending=True)
        )
        if moved != 1:
            return False
        destroyed = (
            await Pledge.filter(campaign_id=campaign_id, revealed=False)
            .using_db(connection)
            .delete()
        )
        await (
            Campaign.filter(id=campaign_id)
            .using_db(connection)
            .update(
                destroyed_count=F("destroyed_count") + destroyed,
                pledge_count=F("pledge_count") - destroyed,
            )
        )
        await LifecycleEvent.create(
            campaign_id=campaign_id,
            kind=EventKind.SHREDDED,
            at=now,
            count=destroyed,
            using_db=connection,
        )
    await shredding.clear_leftovers(campaign_id, keystore)
    return True


async def end_cooling_off(campaign: Campaign, *, keystore: Keystore, now: datetime) -> str:
    """Reveal (server alone) or start waiting for gatekeepers. Returns what happened."""
    if policy.gatekeeper_shares_needed(policy.gate_policy(campaign)) == 0:
        done = await reveal(
            campaign.id, from_state=CampaignState.COOLING_OFF, keystore=keystore, now=now
        )
        return "revealed" if done else ""
    # `campaign` may be stale (read at the start of the tick): re-check the cooling-off end and
    # the deadline in the update itself.
    moved = await Campaign.filter(
        id=campaign.id,
        state=CampaignState.COOLING_OFF,
        cooling_off_ends_at__lte=now,
        deadline__gt=now,
    ).update(state=CampaignState.AWAITING_GATE, cooling_off_ends_at=None)  # passed: not kept
    return "awaiting_gate" if moved == 1 else ""


async def _release_stale_claims(now: datetime) -> int:
    released = 0
    stale = await Campaign.filter(
        state=CampaignState.REVEALING, reveal_claimed_at__lt=claims.stale_before(now)
    )
    for campaign in stale:
        needs_gatekeepers = policy.gatekeeper_shares_needed(policy.gate_policy(campaign)) > 0
        back = CampaignState.AWAITING_GATE if needs_gatekeepers else CampaignState.COOLING_OFF
        released += await Campaign.filter(
            id=campaign.id,
            state=CampaignState.REVEALING,
            reveal_claimed_at=campaign.reveal_claimed_at,
        ).update(state=back, reveal_claimed_at=None)
    return released


async def _each(
    report: TickReport, campaigns: list[Campaign], job: Callable[[Campaign], Awaitable[T]]
) -> list[T]:
    results: list[T] = []
    for campaign in campaigns:
        try:
            results.append(await job(campaign))
        except Exception as error:  # one campaign's failure must not stop the others
            report.errors += 1
            log.error("campaign tick step failed: %s", type(error).__name__)
    return results


async def tick(keystore: Keystore, *, now: datetime | None = None) -> TickReport:
    """Run every due transition once. Idempotent; safe to run in several processes at once."""
    now = now or datetime.now(UTC)
    report = TickReport()
    report.claims_released = await _release_stale_claims(now)

    due = await Campaign.filter(state__in=policy.ACTIVE, deadline__lte=now)
    results = await _each(report, due, lambda c: expire(c.id, keystore=keystore, now=now))
    report.expired = sum(1 for done in results if done)

    dropped = await _each(
        report,
        await deadlines.with_lapsed_pledges(now),
        lambda c: deadlines.drop_lapsed(c.id, keystore=keystore, now=now),
    )
    report.lapsed = sum(dropped)

    cooled = await Campaign.filter(
        team.reveal_allowed_filter(now),
        state=CampaignState.COOLING_OFF,
        cooling_off_ends_at__lte=now,
        deadline__gt=now,
    )
    # Campaigns revealed by this tick: their envelopes are emptied by the next one.
    revealed_now: set[UUID] = set()

    async def cool(campaign: Campaign) -> str:
        outcome = await end_cooling_off(campaign, keystore=keystore, now=now)
        if outcome == "revealed":
            revealed_now.add(campaign.id)
        return outcome

    for outcome in await _each(report, cooled, cool):
        report.revealed += outcome == "revealed"
        report.awaiting_gate += outcome == "awaiting_gate"

    async def open_gate(campaign: Campaign) -> bool:
        key = await gateshares.rebuild_key(campaign, keystore)
        if key is None:
            return False
        del key
        done = await reveal(
            campaign.id, from_state=CampaignState.AWAITING_GATE, keystore=keystore, now=now
        )
        if done:
            revealed_now.add(campaign.id)
        return done

    waiting = await Campaign.filter(
        team.reveal_allowed_filter(now), state=CampaignState.AWAITING_GATE, deadline__gt=now
    )
    report.revealed += sum(1 for done in await _each(report, waiting, open_gate) if done)

    ended = await Campaign.filter(state=CampaignState.REVEALED, shredded=False, deadline__lte=now)
    results = await _each(report, ended, lambda c: shred(c.id, keystore=keystore, now=now))
    report.shredded = sum(1 for done in results if done)

    results = await _each(
        report,
        await retention.due(now),
        lambda c: retention.destroy_release(c.id, keystore=keystore, now=now),
    )
    report.releases_destroyed = sum(1 for done in results if done)

    # Not the campaigns this tick revealed: their keys are gone already, and emptying their
    # envelopes (100,000 rows overwritten) is left to the next tick, outside the reveal.
    pending = [
        campaign
        for campaign in await Campaign.filter(
            keys_pending=True, state__in=(CampaignState.REVEALED, CampaignState.EXPIRED)
        )
        if campaign.id not in revealed_now
    ]
    results = await _each(report, pending, lambda c: shredding.clear_leftovers(c.id, keystore))
    report.keys_cleared = sum(1 for done in results if done)
    try:
        report.withdrawn_keys_cleared = await receipts.finish_withdrawals(keystore)
    except Exception as error:
        report.errors += 1
        log.error("campaign tick step failed: %s", type(error).__name__)
    try:
        swept = await once.sweep(keystore, now)
        report.submission_day_keys_deleted = swept.day_keys
        report.submission_records_deleted = swept.records
    except Exception as error:
        report.errors += 1
        log.error("submission sweep failed: %s", type(error).__name__)
    return report
