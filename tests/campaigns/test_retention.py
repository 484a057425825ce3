"""Time precision and retention: what a threshold crossing leaves behind, and for how long.

- The clock's times are whole hours, the log of pledge-caused events holds weeks.
- `keep_revealed_days` after the reveal, every readable copy on the server is destroyed: the
  organisers' copy (also in a database copy taken before, since its head needs the deleted
  release key), the co-signers' and public lists, and the release key itself.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest

from crypto import streams
from crypto.errors import EnvelopeError
from crypto.keywrap import unwrap_private_key
from organise.campaigns import keys, release
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    ReleasedChunk,
)
from organise.refusal import Refused
from organise.roles import Role
from tests.campaigns.conftest import make_campaign, refreshed, sign_with_new_codes, tick
from tests.conftest import ON_POSTGRES, connect_postgres
from tests.support import PASSPHRASE, make_organiser, post_form, sign_in


def _whole_hour(moment: datetime) -> bool:
    return (moment.minute, moment.second, moment.microsecond) == (0, 0, 0)


def _week_only(moment: datetime) -> bool:
    moment = moment.astimezone(UTC)
    return moment.weekday() == 0 and moment.time() == time()


async def _signed(app, client, count: int = 3, **options) -> tuple[Campaign, list[str]]:
    campaign = (await make_campaign(app, **options)).campaign
    answers = await sign_with_new_codes(app, client, campaign, count, contact="signal")
    return await refreshed(campaign), [answer["receipt"] for answer in answers]


async def test_a_crossing_leaves_whole_hours_and_weeks(app, client):
    campaign, _receipts = await _signed(app, client, cooling_off_hours=48)
    assert campaign.state == CampaignState.COOLING_OFF
    ends = campaign.cooling_off_ends_at
    assert _whole_hour(ends)
    now = datetime.now(UTC)
    # Rounded up, never down: signers keep at least the whole cooling-off.
    assert now + timedelta(hours=48) <= ends + timedelta(seconds=5)
    assert ends <= now + timedelta(hours=49)
    [reached] = await LifecycleEvent.filter(
        campaign_id=campaign.id, kind=EventKind.THRESHOLD_REACHED
    )
    assert _week_only(reached.at)

    # Not a minute early, and on time at the hour.
    assert (await tick(app, now=ends - timedelta(minutes=1))).revealed == 0
    assert (await tick(app, now=ends)).revealed == 1
    after = await refreshed(campaign)
    # What timed the cooling-off and the claim is gone; the reveal time is a whole hour.
    assert (after.cooling_off_ends_at, after.reveal_claimed_at) == (None, None)
    assert _whole_hour(after.revealed_at)
    events = await LifecycleEvent.filter(campaign_id=campaign.id).exclude(kind=EventKind.CREATED)
    assert {event.kind for event in events} == {EventKind.THRESHOLD_REACHED, EventKind.REVEALED}
    assert all(_week_only(event.at) for event in events)


async def test_a_threshold_lost_is_logged_at_the_week(app, client):
    campaign, receipts = await _signed(app, client, cooling_off_hours=48)
    response = await client.post("/api/v1/pledges/withdraw", json={"receipt": receipts[0]})
    assert response.status_code == 200
    after = await refreshed(campaign)
    assert (after.state, after.cooling_off_ends_at) == (CampaignState.OPEN, None)
    [lost] = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.THRESHOLD_LOST)
    assert _week_only(lost.at)


class _Copy:
    """A copy of the database taken now: the SQLite file itself, or (PostgreSQL) the stored
    release read out now, which is all a dump of those rows would hold."""

    def __init__(self, settings, campaign: Campaign, tmp_path: Path) -> None:
        self.campaign = campaign
        self.path = tmp_path / "copy.sqlite3"
        if not ON_POSTGRES:
            # The file with its write-ahead log, as a copy of the folder would hold it.
            source = Path(settings.database_url.removeprefix("sqlite://"))
            with sqlite3.connect(source) as live, sqlite3.connect(self.path) as copy:
                live.backup(copy)

    async def release(self) -> tuple[bytes, list[bytes]]:
        """The organisers' head and chunks, in order, as stored in the copy."""
        return self._head, self._chunks

    async def take(self) -> None:
        if ON_POSTGRES:
            connection = await connect_postgres()
            try:
                head = await connection.fetchval(
                    "SELECT released_to_organisers FROM campaign WHERE id = $1", self.campaign.id
                )
                rows = await connection.fetch(
                    "SELECT data FROM campaign_released_chunk WHERE campaign_id = $1"
                    " AND audience = 'organisers' ORDER BY position",
                    self.campaign.id,
                )
            finally:
                await connection.close()
            self._head, self._chunks = bytes(head), [bytes(row["data"]) for row in rows]
            return
        with sqlite3.connect(self.path) as copy:
            (head,) = copy.execute(
                "SELECT released_to_organisers FROM campaign WHERE slug = ?", (self.campaign.slug,)
            ).fetchone()
            rows = copy.execute(
                "SELECT data FROM campaign_released_chunk WHERE audience = 'organisers'"
                " ORDER BY position"
            ).fetchall()
        self._head, self._chunks = bytes(head), [bytes(row[0]) for row in rows]


def _open_copy(head: bytes, chunks: list[bytes], private_key, release_key, campaign) -> list[str]:
    inner = streams.unwrap_head(
        head, release_key, context=release.organisers_head_context(campaign)
    )
    reader = streams.open_for_recipient(
        inner, private_key, context=release.organisers_context(campaign)
    )
    return list(streams.open_chunks(reader, chunks))


async def test_after_the_retention_nothing_readable_is_left(app, client, settings, tmp_path):
    organiser = await make_organiser("alex", Role.ORGANISER)
    private_key = unwrap_private_key(organiser.wrapped_private_key, PASSPHRASE)
    campaign, receipts = await _signed(
        app, client, audience=Audience.PUBLIC, cooling_off_hours=0, keep_revealed_days=2
    )
    assert (await tick(app)).revealed == 1
    campaign = await refreshed(campaign)
    keystore = app.state.runtime.keystore
    release_key = keystore.get(keys.release_key(campaign.id))
    assert release_key is not None
    # While the retention lasts, everyone entitled reads their list.
    assert len(await release.open_for_organiser(campaign, private_key, release_key)) == 3
    ends = (campaign.revealed_at + timedelta(days=2)).strftime("%Y-%m-%d %H:00 UTC")
    await sign_in(client)
    detail = await client.get(f"/organisers/campaigns/{campaign.slug}")
    assert f"until {ends}, then destroyed" in detail.text
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]})
    assert len(status.json()["cosigners"]) == 3

    # Someone copies the database before the retention ends; it opens with the key...
    copy = _Copy(settings, campaign, tmp_path)
    await copy.take()
    head, chunks = await copy.release()
    assert streams.is_wrapped_head(head)
    assert len(_open_copy(head, chunks, private_key, release_key, campaign)) == 1
    del release_key

    # One day in: nothing happens. Past two days: destroyed.
    assert (await tick(app, now=campaign.revealed_at + timedelta(days=1))).releases_destroyed == 0
    report = await tick(app, now=campaign.revealed_at + timedelta(days=2, minutes=1))
    assert report.releases_destroyed == 1
    after = await refreshed(campaign)
    assert after.release_destroyed
    assert after.state == CampaignState.REVEALED
    assert (after.released_to_organisers, after.released_to_cosigners) == (None, None)
    assert (after.released_to_public, after.revealed_at) == (None, None)
    assert not await ReleasedChunk.filter(campaign_id=campaign.id).exists()
    [gone] = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.RELEASE_DESTROYED)
    assert _week_only(gone.at)

    # The keys are gone from the keystore: nothing of this campaign is left there.
    assert keystore.get(keys.release_key(campaign.id)) is None
    assert [name for name in keystore.names("") if str(campaign.id) in name] == []

    # ... and the older copy, with the member's passphrase and the keystore as it now is,
    # opens nothing: its head is wrapped under a key that no longer exists.
    with pytest.raises(EnvelopeError):
        streams.open_for_recipient(head, private_key, context=release.organisers_context(after))
    with pytest.raises(Refused) as caught:
        release.organiser_reader(after, private_key, keystore.get(keys.release_key(campaign.id)))
    assert caught.value.code == "release_destroyed"

    # The co-signers' status view says the list was destroyed (API and page).
    status = await client.post("/api/v1/pledges/status", json={"receipt": receipts[0]})
    assert status.status_code == 200
    assert status.json()["list_destroyed"] is True
    assert "cosigners" not in status.json()
    page = await post_form(client, "/pledges/status", {"receipt": receipts[0]})
    assert "was destroyed at the end of the campaign" in page.text
    # The public page says so too.
    public = await client.get(f"/campaigns/{campaign.slug}")
    assert "The revealed lists were destroyed" in public.text
    public_api = await client.get(f"/api/v1/campaigns/{campaign.slug}")
    assert public_api.json()["list_destroyed"] is True
    assert public_api.json().get("listed_signers", []) == []

    # The organisers' export refuses with a clear message; their page says why.
    await sign_in(client)
    detail = await client.get(f"/organisers/campaigns/{campaign.slug}")
    assert "destroyed at the end of the retention period" in detail.text
    for path in ("pledges", "pledges.csv"):
        refused = await client.get(f"/organisers/campaigns/{campaign.slug}/{path}")
        assert refused.status_code == 410
        assert "destroyed at the end of its retention period" in refused.text

    # A second tick changes nothing.
    later = await tick(app, now=campaign.revealed_at + timedelta(days=9))
    assert (later.releases_destroyed, later.errors) == (0, 0)
