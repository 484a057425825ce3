"""The reveal re-checks what it relies on: the deadline, the cooling-off end, and the pledges it
could actually open. A withdrawal deletes the pledge key only once the withdrawal is committed."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest

from crypto.gate import GatePolicy
from organise import claims
from organise.campaigns import lifecycle, receipts, release
from organise.campaigns import reveal as reveal_module
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    Pledge,
    ReleasedChunk,
    WithdrawnKey,
)
from organise.campaigns.reveal import reveal
from tests.campaigns.conftest import (
    make_campaign,
    make_codes,
    pledge_key_names,
    refreshed,
    sign,
    sign_with_new_codes,
    tick,
)


async def _signed(app, client, count, **options):
    campaign = (await make_campaign(app, **options)).campaign
    return campaign, await sign_with_new_codes(app, client, campaign, count)


async def test_a_long_reveal_keeps_its_claim_and_is_never_started_again_beside_it(
    app, client, monkeypatch
):
    """A large campaign takes minutes to open: the reveal renews its claim while it opens, so
    the tick's clean-up of dead claims never hands the campaign back meanwhile (and a second
    reveal beside it)."""
    campaign, _answers = await _signed(app, client, 3, cooling_off_hours=0)
    monkeypatch.setattr(claims, "STALE_CLAIM", timedelta(seconds=0.3))
    monkeypatch.setattr(claims, "CLAIM_RENEWAL", timedelta(seconds=0.05))
    opening = reveal_module._open_revealed_set
    reset: list[int] = []

    async def slow_open(*args: Any) -> None:
        # The opening outlives STALE_CLAIM several times over, the tick cleaning up dead
        # claims all along.
        for _ in range(8):
            await anyio.sleep(0.12)
            reset.append(await lifecycle._release_stale_claims(datetime.now(UTC)))
        await opening(*args)

    monkeypatch.setattr(reveal_module, "_open_revealed_set", slow_open)
    keystore = app.state.runtime.keystore
    assert await reveal(campaign.id, from_state=CampaignState.COOLING_OFF, keystore=keystore)
    assert reset == [0] * 8
    revealed = await refreshed(campaign)
    assert revealed.state == CampaignState.REVEALED
    assert revealed.revealed_count == 3
    revealed_events = LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.REVEALED)
    assert await revealed_events.count() == 1


async def test_a_reveal_whose_claim_was_taken_reveals_nothing(app, client, monkeypatch):
    """Without renewals (a process stalled past STALE_CLAIM), the claim is handed back: the
    stalled reveal then stores nothing and the campaign is revealed once, by the next tick."""
    campaign, _answers = await _signed(app, client, 3, cooling_off_hours=0)
    opening = reveal_module._open_revealed_set

    async def stalled_open(*args: Any) -> None:
        # Stalled for longer than STALE_CLAIM: the tick takes the claim back meanwhile.
        await lifecycle._release_stale_claims(datetime.now(UTC) + claims.STALE_CLAIM * 2)
        await opening(*args)

    monkeypatch.setattr(reveal_module, "_open_revealed_set", stalled_open)
    with pytest.raises(RuntimeError):
        await reveal(
            campaign.id, from_state=CampaignState.COOLING_OFF, keystore=app.state.runtime.keystore
        )
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    assert await Pledge.filter(campaign_id=campaign.id, revealed=True).count() == 0
    assert not await ReleasedChunk.filter(campaign_id=campaign.id).exists()
    monkeypatch.setattr(reveal_module, "_open_revealed_set", opening)
    assert (await tick(app)).revealed == 1
    assert (await refreshed(campaign)).revealed_count == 3


# -- M1 (a): a stale view of the campaign cannot reveal it ---------------------------------------


async def test_a_stale_tick_cannot_skip_a_fresh_cooling_off(app, client):
    campaign, answers = await _signed(app, client, 3, cooling_off_hours=0)
    stale = await refreshed(campaign)  # read by a tick: cooling-off is over
    # Meanwhile a withdrawal reopens the campaign, and a new signature crosses again with a
    # fresh 48-hour cooling-off.
    await client.post("/api/v1/pledges/withdraw", json={"receipt": answers[0]["receipt"]})
    await Campaign.filter(id=campaign.id).update(cooling_off_hours=48)
    (code,) = await make_codes(app, campaign, 1)
    await sign(client, "walkout", code, "Newcomer")
    fresh = await refreshed(campaign)
    assert fresh.state == CampaignState.COOLING_OFF
    assert fresh.cooling_off_ends_at > datetime.now(UTC) + timedelta(hours=47)

    outcome = await lifecycle.end_cooling_off(
        stale, keystore=app.state.runtime.keystore, now=datetime.now(UTC)
    )
    assert outcome == ""
    after = await refreshed(campaign)
    assert after.state == CampaignState.COOLING_OFF
    assert after.revealed_count is None
    assert len(pledge_key_names(app, campaign)) == 3


async def test_a_stale_tick_cannot_open_the_gate_wait_early(app, client):
    gate = GatePolicy("server_and_gatekeepers", 3, 2)
    campaign, _answers = await _signed(app, client, 3, cooling_off_hours=48, gate=gate)
    stale = await refreshed(campaign)
    assert stale.state == CampaignState.COOLING_OFF
    outcome = await lifecycle.end_cooling_off(
        stale, keystore=app.state.runtime.keystore, now=datetime.now(UTC)
    )
    assert outcome == ""
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF


async def test_the_reveal_claim_refuses_a_campaign_past_its_deadline(app, client):
    campaign, _answers = await _signed(app, client, 3, cooling_off_hours=0)
    later = campaign.deadline + timedelta(seconds=1)
    done = await reveal(
        campaign.id,
        from_state=CampaignState.COOLING_OFF,
        keystore=app.state.runtime.keystore,
        now=later,
    )
    assert done is False
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    # The next tick expires it instead.
    assert (await tick(app, now=later)).expired == 1
    assert (await refreshed(campaign)).state == CampaignState.EXPIRED


# -- M2: only pledges that could be opened count --------------------------------------------------


async def test_a_reveal_below_the_threshold_of_opened_pledges_reveals_nothing(app, client):
    campaign, answers = await _signed(app, client, 3, cooling_off_hours=0)
    one = await Pledge.filter(campaign_id=campaign.id).first()
    app.state.runtime.keystore.delete(
        f"pledge/{campaign.id}/{one.id}"
    )  # this envelope cannot be opened
    report = await tick(app)
    assert report.revealed == 0
    after = await refreshed(campaign)
    assert after.state == CampaignState.OPEN
    assert after.revealed_count is None
    assert after.released_to_cosigners is None
    assert after.released_to_organisers is None
    assert await Pledge.filter(campaign_id=campaign.id, revealed=True).count() == 0
    lost = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.THRESHOLD_LOST)
    assert len(lost) == 1
    for answer in answers:
        status = await client.post("/api/v1/pledges/status", json={"receipt": answer["receipt"]})
        assert status.json()["pledge"] == "sealed"


async def test_a_signer_is_not_revealed_below_their_own_threshold_after_a_failed_open(app, client):
    # Four pledges at the campaign's threshold of 3, one asking for 5: all five qualify.
    campaign, answers = await _signed(
        app, client, 4, cooling_off_hours=0, audience=Audience.COSIGNERS
    )
    answers += await sign_with_new_codes(app, client, campaign, ["Signer 4"], personal_threshold=5)
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF
    broken = await Pledge.filter(campaign_id=campaign.id, personal_threshold=3).first()
    app.state.runtime.keystore.delete(f"pledge/{campaign.id}/{broken.id}")
    assert (await tick(app)).revealed == 1
    after = await refreshed(campaign)
    # Four could be opened: the one who asked for five co-signers stays sealed.
    assert after.revealed_count == 3
    careful = await client.post("/api/v1/pledges/status", json={"receipt": answers[4]["receipt"]})
    assert careful.json()["pledge"] == "not_revealed"
    revealed = [
        answer
        for answer in answers[:4]
        if (
            await client.post("/api/v1/pledges/status", json={"receipt": answer["receipt"]})
        ).json()["pledge"]
        == "revealed"
    ]
    assert len(revealed) == 3
    cosigners = (
        await client.post("/api/v1/pledges/status", json={"receipt": revealed[0]["receipt"]})
    ).json()["cosigners"]
    assert len(cosigners) == 3
    assert "Signer 4" not in {person["name"] for person in cosigners}


# -- M2: a withdrawal deletes the key only after its commit ---------------------------------------


async def test_a_withdrawal_whose_commit_fails_keeps_the_pledge_readable(app, client, monkeypatch):
    campaign, answers = await _signed(app, client, 3, cooling_off_hours=48)
    real = receipts.in_transaction

    @contextlib.asynccontextmanager
    async def failing_commit():
        async with real() as connection:
            yield connection
            raise OSError("simulated failure at commit")

    monkeypatch.setattr(receipts, "in_transaction", failing_commit)
    with pytest.raises(OSError, match="simulated"):
        await receipts.withdraw(
            answers[0]["receipt"],
            keystore=app.state.runtime.keystore,
            pepper=app.state.runtime.code_pepper,
        )
    monkeypatch.undo()
    # Nothing changed: the row is counted and its key is still there.
    assert await Pledge.filter(campaign_id=campaign.id).count() == 3
    assert len(pledge_key_names(app, campaign)) == 3
    assert await WithdrawnKey.all().count() == 0
    later = datetime.now(UTC) + timedelta(hours=49)
    assert (await tick(app, now=later)).revealed == 1
    assert (await refreshed(campaign)).revealed_count == 3


async def test_a_withdrawn_key_left_by_a_dead_process_is_deleted_by_the_tick(app, client):
    campaign, _answers = await _signed(app, client, 2, cooling_off_hours=48)
    pledge = await Pledge.filter(campaign_id=campaign.id).first()
    name = f"pledge/{campaign.id}/{pledge.id}"
    # The process committed the withdrawal and died before deleting the key.
    await Pledge.filter(id=pledge.id).delete()
    await WithdrawnKey.create(name=name)
    report = await tick(app)
    assert report.withdrawn_keys_cleared == 1
    assert name not in pledge_key_names(app, campaign)
    assert len(pledge_key_names(app, campaign)) == 1
    assert await WithdrawnKey.all().count() == 0


async def test_a_withdrawal_leaves_no_marker_behind(app, client):
    campaign, answers = await _signed(app, client, 2, cooling_off_hours=48)
    response = await client.post(
        "/api/v1/pledges/withdraw", json={"receipt": answers[0]["receipt"]}
    )
    assert response.status_code == 200
    assert len(pledge_key_names(app, campaign)) == 1
    assert await WithdrawnKey.all().count() == 0


# -- L3: the revealed list never keeps the order of arrival ---------------------------------------


def test_records_with_equal_names_and_teams_are_ordered_by_content_not_arrival():
    records = [
        release.as_values(
            {"name": "Sam", "team": "Infra", "message": message, "personal_threshold": 3}
        )
        for message in ("second", "first", "third")
    ]
    orders = set()
    for arrival in (records, records[::-1], records[1:] + records[:1]):
        ordered = list(arrival)
        release.sort_records(ordered)
        orders.add(tuple(ordered))
    assert len(orders) == 1
    assert [values[3] for values in orders.pop()] == ["first", "second", "third"]


def test_records_are_ordered_case_insensitively_then_exactly():
    names = ["bea", "Ann", "ann", "Bea", "Émile", "ann b"]
    records = [release.as_values({"name": name, "personal_threshold": 3}) for name in names]
    release.sort_records(records)
    assert [values[0] for values in records] == ["Ann", "ann", "ann b", "Bea", "bea", "Émile"]
