"""What a closed campaign must no longer hold, deleted after the transition has been committed.

Transitions (reveal, expiry, shredding) commit to the database first with `keys_pending` set,
then delete keys, unused invite codes and the gatekeeper shares still held on the server here,
and clear the flag. If the process dies in
between, the next tick finds the flag and finishes the job; every step is idempotent.

Invite codes go here rather than in the transition's transaction for a second reason: signing
deletes its code's row before it counts on the campaign row, so a transaction that locked the
campaign row and then code rows could deadlock with a signature.
"""

from __future__ import annotations

from uuid import UUID

from crypto.keystore import Keystore
from organise.campaigns import keys, policy
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    HeldShare,
    InviteCode,
    Pledge,
    ShareLink,
)
from organise.db import column_values

_DELETE_CHUNK = 50_000


async def clear_leftovers(campaign_id: UUID, keystore: Keystore, *, envelopes: bool = True) -> bool:
    """Delete the keys, codes and shares a revealed, expired or shredded campaign must no longer
    hold, and empty the envelopes of its revealed pledges.

    The reveal calls it with `envelopes=False`: it deletes the revealed pledges' keys at once,
    which leaves their envelopes unreadable, and leaves `keys_pending` set, so that the next
    tick empties the envelopes (with `secure_delete`, 100,000 of them overwrite about 420 MB)
    outside the reveal, and clears the flag."""
    campaign = await Campaign.get_or_none(id=campaign_id)
    if campaign is None:
        return False
    if campaign.state in policy.ENDED:
        # The campaign accepts no more pledges: unused codes have nothing left to open.
        await InviteCode.filter(campaign_id=campaign.id).delete()
        await destroy_held_shares(campaign.id)
    if campaign.state == CampaignState.EXPIRED or campaign.shredded:
        await keys.delete_prefix(keystore, keys.pledge_prefix(campaign.id))
    elif campaign.state == CampaignState.REVEALED and not await Pledge.exists(
        campaign_id=campaign.id, revealed=False
    ):
        # Every pledge was revealed (and a revealed campaign takes no new ones): the campaign's
        # whole prefix, without reading 100,000 ids back.
        await keys.delete_prefix(keystore, keys.pledge_prefix(campaign.id))
    elif campaign.state == CampaignState.REVEALED:
        # Only the revealed pledges' keys: the others stay sealed until the deadline.
        # One keystore transaction (and one fsync) per _DELETE_CHUNK keys: for 100,000 keys a
        # fraction of a second, where one per thousand took seconds; and never every id at once.
        revealed = Pledge.filter(campaign_id=campaign.id, revealed=True).order_by("id")
        after: UUID | None = None
        while True:
            page = revealed.filter(id__gt=after) if after is not None else revealed
            ids = await column_values(page.limit(_DELETE_CHUNK), "id")
            await keys.delete_names(
                keystore, (keys.pledge_key(campaign.id, pledge_id) for pledge_id in ids)
            )
            if len(ids) < _DELETE_CHUNK:
                break
            after = ids[-1]
    else:
        return False
    # The gate can never be opened again: the server's share and handed-in shares go.
    await keys.delete_prefix(keystore, keys.gate_prefix(campaign.id))
    if campaign.release_destroyed:
        # Retention over (`retention`): without this key no copy of the lists opens.
        await keys.in_thread(keystore.delete, keys.release_key(campaign.id))
    if campaign.state == CampaignState.REVEALED:
        if not envelopes:
            return False
        await Pledge.filter(campaign_id=campaign.id, revealed=True, envelope__isnull=False).update(
            envelope=None
        )
    cleared = await Campaign.filter(
        id=campaign.id, state=campaign.state, shredded=campaign.shredded, keys_pending=True
    ).update(keys_pending=False)
    return cleared == 1


async def destroy_held_shares(campaign_id: UUID) -> None:
    """Empty the gatekeeper shares the server still holds for an ended campaign.

    Shares sealed to gatekeeper accounts and not handed in, and shares behind one-time links not
    yet taken: no gate opens again, so they could only help someone rebuild the campaign key
    (in the "any K of N" mode, K gatekeepers' shares do, without the server's). The rows stay,
    so a gatekeeper's page and link say the campaign is over rather than nothing.
    """
    await HeldShare.filter(campaign_id=campaign_id, sealed_share__isnull=False).update(
        sealed_share=None
    )
    await ShareLink.filter(campaign_id=campaign_id, encrypted_share__isnull=False).update(
        encrypted_share=None
    )
