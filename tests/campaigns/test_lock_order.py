"""A signature in flight never deadlocks with an expiry (PostgreSQL, two real connections).

Signing deletes its invite code's row and only then counts on the campaign row. Expiry locks
the campaign row; if it also deleted the codes in that transaction, the two would each wait
for the other's row and PostgreSQL would kill one of them. It deletes them after committing.
"""

from __future__ import annotations

import asyncio

import pytest

from crypto.codes import normalise_invite_code
from organise.campaigns.invites import invite_hash
from organise.campaigns.models import CampaignState, InviteCode
from tests.campaigns.conftest import in_days, make_campaign, make_codes, refreshed, tick
from tests.conftest import RACE_MARKS, connect_postgres

pytestmark = [*RACE_MARKS, pytest.mark.timeout(60)]


async def test_an_expiry_waits_for_a_signature_holding_its_code(app, client):
    created = await make_campaign(app, deadline=in_days(1))
    campaign = created.campaign
    codes = await make_codes(app, campaign, 2)
    pepper = app.state.runtime.code_pepper
    code_hash = invite_hash(normalise_invite_code(codes[0]), pepper)

    signer = await connect_postgres()
    try:
        transaction = signer.transaction()
        await transaction.start()
        # A signature part-way: its code row deleted (and locked), the count still to come.
        deleted = await signer.execute(
            "DELETE FROM campaign_invite WHERE code_hash = $1 AND campaign_id = $2",
            code_hash,
            campaign.id,
        )
        assert deleted == "DELETE 1"
        expiring = asyncio.create_task(tick(app, now=in_days(1.01)))
        await asyncio.sleep(0.5)  # expiry runs while the signature holds its code row
        counted = await signer.execute(
            "UPDATE campaign SET pledge_count = pledge_count + 1"
            " WHERE id = $1 AND state IN ('open', 'cooling_off')",
            campaign.id,
        )
        assert counted == "UPDATE 0"  # the campaign expired meanwhile: the signer is refused
        await transaction.rollback()
        report = await asyncio.wait_for(expiring, 30)
    finally:
        await signer.close()
    assert report.expired == 1
    assert report.errors == 0
    assert (await refreshed(campaign)).state == CampaignState.EXPIRED
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 0
