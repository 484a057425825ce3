"""The revealed pledges are stored as a stream of sealed chunks: a reveal larger than one chunk
reads back whole and in order, a damaged stream is refused rather than read short, and releases
stored whole before streaming still open."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest

from crypto import atrest, sealing
from crypto.errors import EnvelopeError, StreamError
from crypto.keywrap import unwrap_private_key
from organise import sorting
from organise.campaigns import csv_export, keys, release, signing
from organise.campaigns import reveal as reveal_module
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    Pledge,
    ReleasedChunk,
)
from organise.roles import Role
from organise.weeks import this_week
from tests.campaigns.conftest import make_campaign, pledge_key_names, refreshed, tick
from tests.support import PASSPHRASE, make_organiser

COUNT = 1234  # three chunks of release.CHUNK_RECORDS


async def _organiser_key(username: str = "alex"):
    organiser = await make_organiser(username, Role.ORGANISER)
    return unwrap_private_key(organiser.wrapped_private_key, PASSPHRASE)


async def _seeded(app, count: int, **options) -> Campaign:
    """A campaign at the end of its cooling-off with `count` pledges, stored as signing does."""
    campaign = (await make_campaign(app, threshold=count, **options)).campaign
    rows, pledge_keys = [], {}
    for number in range(count):
        sealed = signing.seal(
            campaign,
            {
                "name": f"Signer {number:05d}",
                "contact": f"signal {number}",
                "team": "Platform" if number % 2 else "=SUM(A1)",
                "message": "I will not build it.",
                "list_publicly": number % 3 == 0,
            },
            personal=count,
            receipt_hash=uuid.uuid4().hex + uuid.uuid4().hex,
            week=this_week(),
        )
        pledge_keys[sealed.key_name] = sealed.key
        rows.append(sealed.row)
    app.state.runtime.keystore.put_many(pledge_keys)
    await Pledge.bulk_create(rows, batch_size=200)
    # As after the last signature, with the cooling-off period over.
    await Campaign.filter(id=campaign.id).update(
        pledge_count=count,
        state=CampaignState.COOLING_OFF,
        cooling_off_ends_at=campaign.created_at,
    )
    return campaign


async def _revealed(app, count: int, **options) -> Campaign:
    campaign = await _seeded(app, count, **options)
    assert (await tick(app)).revealed == 1
    return await refreshed(campaign)


def _release_key(app, campaign: Campaign) -> bytes | None:
    # The organisers' copy is wrapped under the release key (kept until the retention ends).
    return app.state.runtime.keystore.get(keys.release_key(campaign.id))


async def _csv(app, campaign: Campaign, private_key) -> list[list[str]]:
    buffer = io.StringIO()
    csv_export.write_header(buffer)
    async for records in release.organiser_records(
        campaign, private_key, _release_key(app, campaign)
    ):
        csv_export.write_rows(buffer, records)
    return list(csv.reader(io.StringIO(buffer.getvalue())))


async def test_a_reveal_larger_than_a_chunk_reads_back_whole_and_sorted(app, client, monkeypatch):
    # Sorted in sealed runs of 100 records (13 of them), merged back in order.
    monkeypatch.setattr(sorting, "RUN_RECORDS", 100)
    monkeypatch.setattr(sorting, "BLOCK_RECORDS", 7)
    # Read in 5 queries of up to 300 rows, opened 128 at a time, and each chunk inserted alone,
    # the next sealed meanwhile: nobody is read twice or left out at the seams.
    monkeypatch.setattr(reveal_module, "_READ", 300)
    monkeypatch.setattr(reveal_module, "_CHUNK", 128)
    monkeypatch.setattr(reveal_module, "_STORE_CHUNKS", 1)
    private_key = await _organiser_key()
    campaign = await _revealed(app, COUNT, audience=Audience.PUBLIC)
    assert campaign.revealed_count == COUNT
    chunks = await ReleasedChunk.filter(
        campaign_id=campaign.id, audience=Audience.ORGANISERS
    ).count()
    assert chunks == -(-COUNT // release.CHUNK_RECORDS) > 1

    rows = await _csv(app, campaign, private_key)
    assert len(rows) == COUNT + 1
    names = [row[0] for row in rows[1:]]
    assert names == sorted(f"Signer {number:05d}" for number in range(COUNT))
    assert {row[2] for row in rows[1:]} == {"Platform", "'=SUM(A1)"}  # neutralised formula
    cosigners = await release.cosigners(campaign, keystore=app.state.runtime.keystore)
    assert [person["name"] for person in cosigners] == names
    listed = await release.public_names(campaign, keystore=app.state.runtime.keystore)
    assert listed == [f"Signer {n:05d}" for n in range(COUNT) if n % 3 == 0]
    # Every revealed pledge's key went at the reveal, and the server's share of the campaign
    # key: the envelopes left until the next tick open with nothing.
    assert pledge_key_names(app, campaign) == []
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    left = await Pledge.filter(campaign_id=campaign.id, envelope__isnull=False).count()
    assert left == COUNT
    assert (await refreshed(campaign)).keys_pending
    # The next tick empties them.
    await tick(app)
    assert not await Pledge.filter(campaign_id=campaign.id, envelope__isnull=False).exists()
    assert not (await refreshed(campaign)).keys_pending


async def test_a_reveal_that_fails_while_storing_stores_nothing_and_can_reveal_again(
    app, client, monkeypatch
):
    """Sealing fails after the first chunks went to the database: the transaction leaves no
    chunk behind, the campaign waits in cooling-off with every key, and the next tick reveals."""
    monkeypatch.setattr(reveal_module, "_STORE_CHUNKS", 1)
    campaign = await _seeded(app, COUNT)
    sealed_chunks = release.sealed_chunks

    def failing_after_two(*args, **options):
        chunks = sealed_chunks(*args, **options)
        yield next(chunks)
        yield next(chunks)
        raise RuntimeError("sealing failed")

    monkeypatch.setattr(release, "sealed_chunks", failing_after_two)
    report = await tick(app)
    assert (report.revealed, report.errors) == (0, 1)
    assert not await ReleasedChunk.filter(campaign_id=campaign.id).exists()
    waiting = await refreshed(campaign)
    assert waiting.state == CampaignState.COOLING_OFF
    assert waiting.released_to_organisers is None
    assert not await Pledge.filter(campaign_id=campaign.id, revealed=True).exists()
    assert len(pledge_key_names(app, campaign)) == COUNT

    monkeypatch.setattr(release, "sealed_chunks", sealed_chunks)
    assert (await tick(app)).revealed == 1
    private_key = await _organiser_key()
    assert len(await _csv(app, await refreshed(campaign), private_key)) == COUNT + 1


async def _stored(campaign: Campaign) -> list[ReleasedChunk]:
    return (
        await ReleasedChunk.filter(campaign_id=campaign.id, audience=Audience.ORGANISERS)
        .order_by("position")
        .all()
    )


async def _read_all(app, campaign: Campaign, private_key) -> int:
    return sum(
        [
            len(chunk)
            async for chunk in release.organiser_records(
                campaign, private_key, _release_key(app, campaign)
            )
        ]
    )


async def _drop_middle(campaign: Campaign, stored: list[ReleasedChunk]) -> None:
    await stored[1].delete()
    # Renumbered, so that the positions alone show no gap: the stream itself must notice.
    await ReleasedChunk.filter(id=stored[2].id).update(position=1)


async def _swap(campaign: Campaign, stored: list[ReleasedChunk]) -> None:
    await ReleasedChunk.filter(id=stored[0].id).update(data=stored[1].data)
    await ReleasedChunk.filter(id=stored[1].id).update(data=stored[0].data)


async def _cut_short(campaign: Campaign, stored: list[ReleasedChunk]) -> None:
    await stored[-1].delete()


async def _extra(campaign: Campaign, stored: list[ReleasedChunk]) -> None:
    await ReleasedChunk.create(
        campaign_id=campaign.id,
        audience=Audience.ORGANISERS,
        position=len(stored),
        data=stored[0].data,
    )


@pytest.mark.parametrize("damage", [_drop_middle, _swap, _cut_short, _extra])
async def test_a_damaged_stream_is_refused_not_read_short(app, client, damage):
    private_key = await _organiser_key()
    campaign = await _revealed(app, COUNT)
    assert await _read_all(app, campaign, private_key) == COUNT
    await damage(campaign, await _stored(campaign))
    with pytest.raises(StreamError):
        await _read_all(app, campaign, private_key)


async def test_chunks_cannot_be_spliced_between_campaigns(app, client):
    private_key = await _organiser_key()
    first = await _revealed(app, 600)
    second = await _revealed(app, 600, slug="second")
    theirs = await _stored(second)
    ours = await _stored(first)
    await ReleasedChunk.filter(id=ours[1].id).update(data=theirs[1].data)
    with pytest.raises(StreamError):
        await _read_all(app, first, private_key)
    # Nor the whole release: the head names the campaign it belongs to.
    await Campaign.filter(id=first.id).update(released_to_organisers=second.released_to_organisers)
    await ReleasedChunk.filter(campaign_id=first.id).delete()
    for chunk in theirs:
        await ReleasedChunk.create(
            campaign_id=first.id, audience=chunk.audience, position=chunk.position, data=chunk.data
        )
    with pytest.raises(StreamError):
        await _read_all(app, await refreshed(first), private_key)


async def test_a_stranger_is_refused_before_reading_any_chunk(app, client):
    await _organiser_key()
    campaign = await _revealed(app, 5)
    stranger = await _organiser_key("late")  # created after the reveal
    with pytest.raises(EnvelopeError) as caught:
        release.organiser_reader(campaign, stranger, _release_key(app, campaign))
    assert not isinstance(caught.value, StreamError)


async def test_a_release_stored_whole_before_streaming_still_opens(app, client):
    private_key = await _organiser_key()
    campaign = (await make_campaign(app, audience=Audience.PUBLIC)).campaign
    records = [
        {
            "name": "Ada",
            "contact": "",
            "team": "Infra",
            "message": "No.",
            "personal_threshold": 3,
            "list_publicly": True,
        }
    ]
    key = app.state.runtime.keystore.get_or_create(
        keys.release_key(campaign.id), atrest.new_field_key
    )
    await Campaign.filter(id=campaign.id).update(
        state=CampaignState.REVEALED,
        revealed_count=1,
        released_to_organisers=sealing.seal_to_recipients(
            json.dumps(records).encode(),
            [private_key.public_key.encode()],
            context=release.organisers_context(campaign),
        ),
        released_to_cosigners=atrest.encrypt_field(
            key,
            json.dumps(
                [{"name": "Ada", "contact": "", "team": "Infra", "message": "No."}]
            ).encode(),
            context=release.cosigners_context(campaign),
        ),
        released_to_public=atrest.encrypt_field(
            key, json.dumps(["Ada"]).encode(), context=release.public_context(campaign)
        ),
    )
    campaign = await refreshed(campaign)
    assert release.organiser_reader(campaign, private_key) is None  # not taken for a stream
    assert await release.open_for_organiser(campaign, private_key) == records
    assert (await release.cosigners(campaign, keystore=app.state.runtime.keystore))[0][
        "name"
    ] == "Ada"
    assert await release.public_names(campaign, keystore=app.state.runtime.keystore) == ["Ada"]


async def test_a_damaged_public_list_is_refused_readably_on_the_page_and_the_api(app, client):
    campaign = await _revealed(app, 600, audience=Audience.PUBLIC)
    public = await ReleasedChunk.filter(campaign_id=campaign.id, audience=Audience.PUBLIC).order_by(
        "position"
    )
    await ReleasedChunk.filter(id=public[-1].id).delete()  # the final chunk is lost
    page = await client.get(f"/campaigns/{campaign.slug}")
    assert page.status_code == 409
    assert "stored incomplete or altered, so none are shown" in page.text
    assert "Signer" not in page.text
    api = await client.get(f"/api/v1/campaigns/{campaign.slug}")
    assert api.status_code == 409
    assert api.json()["error"]["code"] == "release_damaged"
