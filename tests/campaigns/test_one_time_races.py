"""One-time things stay one-time under real concurrency: an enrolment or reset code, a share link.

Two redemptions of the same code, or two "written down" confirmations of the same link, at the
same moment: exactly one succeeds, the other is told it was already used or taken.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from crypto.gate import GatePolicy
from organise.campaigns import sharelinks
from organise.campaigns.models import ShareLink
from organise.campaigns.setup import ShareDelivery
from organise.organisers import enrolment, people
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.roles import Role
from tests.campaigns.conftest import make_campaign
from tests.conftest import RACE_MARKS
from tests.support import make_organiser

pytestmark = [*RACE_MARKS, pytest.mark.timeout(120)]


@pytest.mark.parametrize("kind", ["enrolment", "reset"])
async def test_two_redemptions_of_one_enrolment_or_reset_code_at_once(app, client, kind):
    pepper = app.state.runtime.code_pepper
    if kind == "enrolment":
        _pending, code = await enrolment.create_pending("dana", Role.ORGANISER, pepper=pepper)
    else:  # an admin's reset of an enrolled account: the same one-time rule
        await make_organiser("dana")
        code = await people.issue_reset(None, "dana", pepper=pepper, now=datetime.now(UTC))
    outcomes = await asyncio.gather(
        *(
            enrolment.redeem(enrolment.Enrolment(code, "dana", phrase, phrase), pepper=pepper)
            for phrase in ("first holder passphrase", "second holder passphrase")
        ),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, Organiser)]
    lost = [o for o in outcomes if isinstance(o, enrolment.CodeAlreadyUsed)]
    assert (len(won), len(lost)) == (1, 1), outcomes
    stored = await Organiser.get(username="dana")
    assert stored.public_key == won[0].public_key


async def test_two_confirmations_of_one_share_link_at_once(app, client):
    created = await make_campaign(
        app, gate=GatePolicy("server_and_gatekeepers", 3, 2), delivery=ShareDelivery(links=True)
    )
    pepper = app.state.runtime.code_pepper
    secret = created.share_links[0]
    now = created.campaign.created_at
    outcomes = await asyncio.gather(
        *(sharelinks.confirm_taken(secret, pepper, now) for _ in range(2)),
        return_exceptions=True,
    )
    won = [o for o in outcomes if isinstance(o, ShareLink)]
    lost = [o for o in outcomes if isinstance(o, Refused) and o.code == "share_link_taken"]
    assert (len(won), len(lost)) == (1, 1), outcomes
    with pytest.raises(Refused, match="already taken"):
        await sharelinks.show(secret, pepper, now)
