"""The end of a reveal's retention: `keep_revealed_days` after the reveal, the lists go.

Everything readable on the server is destroyed: the organisers' copy (its head is wrapped under
the release key, so deleting the key also defeats an older copy of the database), the
co-signers' and public lists (under the same key), the released chunks, and the reveal time.
Pledge rows stay (already emptied at the reveal), so that a receipt can still be told its list
was destroyed. What the team exported is theirs.

Like the other transitions: a conditional update commits first with `keys_pending` set, then
`shredding.clear_leftovers` deletes the release key; a crash in between is finished by the next
tick.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from organise.campaigns import clock, shredding
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    ReleasedChunk,
)


def ends_at(campaign: Campaign) -> datetime | None:
    """When the revealed lists are destroyed; None if not revealed or already destroyed."""
    if campaign.revealed_at is None or campaign.release_destroyed:
        return None
    return campaign.revealed_at + timedelta(days=campaign.keep_revealed_days)


async def due(now: datetime) -> list[Campaign]:
    """Revealed campaigns whose retention is over (few rows: one per revealed campaign)."""
    revealed = await Campaign.filter(
        state=CampaignState.REVEALED, release_destroyed=False, revealed_at__isnull=False
    ).only("id", "revealed_at", "keep_revealed_days", "release_destroyed")
    return [c for c in revealed if (end := ends_at(c)) is not None and end <= now]


async def destroy_release(campaign_id: UUID, *, keystore: Keystore, now: datetime) -> bool:
    """Destroy a revealed campaign's lists once its retention is over; True if this call did."""
    async with in_transaction() as connection:
        campaign = (
            await Campaign.filter(
                id=campaign_id, state=CampaignState.REVEALED, release_destroyed=False
            )
            .using_db(connection)
            .only("id", "revealed_at", "keep_revealed_days", "release_destroyed")
            .first()
        )
        if campaign is None or (end := ends_at(campaign)) is None or end > now:
            return False
        moved = (
            await Campaign.filter(id=campaign_id, release_destroyed=False)
            .using_db(connection)
            .update(
                release_destroyed=True,
                released_to_organisers=None,
                released_to_cosigners=None,
                released_to_public=None,
                # It only timed the retention; kept, it would date the reveal to the hour.
                revealed_at=None,
                keys_pending=True,
            )
        )
        if moved != 1:
            return False
        await ReleasedChunk.filter(campaign_id=campaign_id).using_db(connection).delete()
        await LifecycleEvent.create(
            campaign_id=campaign_id,
            kind=EventKind.RELEASE_DESTROYED,
            # The week: the exact hour would be the reveal's hour plus the retention.
            at=clock.week_start(now),
            using_db=connection,
        )
    await shredding.clear_leftovers(campaign_id, keystore)
    return True
