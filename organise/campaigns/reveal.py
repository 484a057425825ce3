"""The reveal: rebuild the campaign key, open only the revealed set, re-seal it per audience.

Exactly once, whatever the concurrency: a conditional update moves the campaign from the state
the caller saw into `revealing`; only the process whose update changed the row goes on. Signing
and withdrawing refuse a campaign in `revealing`, so the set cannot change underneath.

The claim re-checks the deadline and, from cooling-off, the end of the current cooling-off, so a
caller working from an old reading cannot reveal early or late.

The revealed set S is computed from the personal thresholds (plain integers) before anything is
decrypted, and only S's envelopes are opened: a pledge whose signer asked for more co-signers
than S holds is never decrypted, and is destroyed at the deadline. S is then chosen again over
the records actually opened (an envelope without its key, or one that fails to open, does not
count); if that falls below the threshold nothing is revealed and the campaign goes back to
`open`. Nothing is deleted from the
keystore until the database has committed the result, so a reveal that fails part-way leaves
everything as it was (a claim left behind by a dead process is released by the next tick).

The result is sorted, then sealed and stored one chunk at a time (`release.sealed_chunks`)
inside the transaction that marks the pledges revealed: a failure leaves no chunk behind.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import nacl.public
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crypto import atrest
from crypto.envelope import open_pledge
from crypto.errors import EnvelopeError
from crypto.keystore import Keystore
from organise.campaigns import clock, counting, gateshares, keys, policy, release, shredding, team
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    Pledge,
    ReleasedChunk,
)

log = logging.getLogger("organise.campaigns")

STALE_CLAIM = timedelta(minutes=15)
_CHUNK = 500
_OPENERS = 1  # chunks being opened (in worker threads) while the next one is read
_STORE_CHUNKS = 8  # sealed chunks (of up to release.CHUNK_RECORDS records) per insert
_PERSONAL = release.RECORD_FIELDS.index("personal_threshold")

Row = tuple[UUID, bytes | None, int]


Opened = tuple[UUID, release.Values]


def _open_rows(
    campaign: Campaign,
    rows: list[Row],
    keystore: Keystore,
    private_key: nacl.public.PrivateKey,
) -> tuple[list[Opened], list[UUID]]:
    """Open one chunk of rows (in a worker thread): its keys in one keystore read, then each.

    Returns the opened records and the ids of the rows that could not be opened."""
    campaign_id = str(campaign.id)
    ids = [str(row[0]) for row in rows]
    names = [keys.pledge_key(campaign_id, pledge_id) for pledge_id in ids]
    pledge_keys = keystore.get_many(names)
    opened = []
    unopened = []
    for (pledge_id, envelope, personal), text_id, name in zip(rows, ids, names, strict=True):
        key = pledge_keys.get(name)
        if key is None or envelope is None:
            unopened.append(pledge_id)  # withdrawn at the last moment, or never committed
            continue
        try:
            record = open_pledge(
                bytes(envelope),
                pledge_key=key,
                campaign_private_key=private_key,
                campaign_id=campaign_id,
                pledge_id=text_id,
            )
        except EnvelopeError:
            unopened.append(pledge_id)
            continue
        record["personal_threshold"] = personal
        # A tuple of the released fields only: what the release needs, and far smaller than
        # the decoded dict when 100,000 of them wait for the sort.
        opened.append((pledge_id, release.as_values(record)))
    return opened, unopened


def _qualifying(opened: list[Opened]) -> tuple[list[Opened], int]:
    """The largest qualifying set among the opened records (see `policy.revealed_cutoff`), and
    the highest personal threshold it admits."""
    counts = Counter(int(values[_PERSONAL]) for _id, values in opened)
    cutoff, _size = policy.revealed_cutoff(counts)
    if cutoff is None:
        return [], 0
    if all(int(values[_PERSONAL]) <= cutoff for _id, values in opened):
        return opened, cutoff
    return [item for item in opened if int(item[1][_PERSONAL]) <= cutoff], cutoff


async def _release_claim(campaign_id: UUID, back_to: CampaignState, claimed_at: datetime) -> None:
    await Campaign.filter(
        id=campaign_id, state=CampaignState.REVEALING, reveal_claimed_at=claimed_at
    ).update(state=back_to, reveal_claimed_at=None)


async def reveal(
    campaign_id: UUID,
    *,
    from_state: CampaignState,
    keystore: Keystore,
    now: datetime | None = None,
) -> bool:
    """Reveal the campaign if this caller wins the claim and the gate opens; True if revealed.

    Never when nobody on the campaign's team can receive the result: the campaign waits (for
    its deadline, or for an administrator to assign an owner, which delays it further).
    """
    now = now or datetime.now(UTC)
    if not await team.recipient_keys(campaign_id):
        return False
    # The caller may have read the campaign a while ago: the claim itself re-checks that the
    # deadline has not passed and, from cooling-off, that the (current) cooling-off is over.
    conditions: dict[str, Any] = {"id": campaign_id, "state": from_state, "deadline__gt": now}
    if from_state == CampaignState.COOLING_OFF:
        conditions["cooling_off_ends_at__lte"] = now
    claimed = await Campaign.filter(team.reveal_allowed_filter(now), **conditions).update(
        state=CampaignState.REVEALING, reveal_claimed_at=now
    )
    if claimed != 1:
        return False
    try:
        return await _reveal_claimed(campaign_id, from_state, keystore, now)
    except Exception:
        await _release_claim(campaign_id, from_state, now)
        raise


async def _back_to_open(campaign_id: UUID, keystore: Keystore, now: datetime) -> None:
    async with in_transaction() as connection:
        moved = (
            await Campaign.filter(id=campaign_id, state=CampaignState.REVEALING)
            .using_db(connection)
            .update(state=CampaignState.OPEN, cooling_off_ends_at=None, reveal_claimed_at=None)
        )
        if moved == 1:
            await LifecycleEvent.create(
                campaign_id=campaign_id,
                kind=EventKind.THRESHOLD_LOST,
                at=clock.week_start(now),
                using_db=connection,
            )
    await keys.delete_prefix(keystore, keys.submitted_prefix(campaign_id))


async def _open_revealed_set(
    campaign: Campaign,
    cutoff: int,
    expected: int,
    private_key: nacl.public.PrivateKey,
    keystore: Keystore,
    now: datetime,
) -> tuple[list[Opened], list[UUID]]:
    """Open the revealed set chunk by chunk, in pledge-id order (random, not arrival order).

    The set is fixed by the claim: while the campaign is `revealing`, nobody can sign or
    withdraw, so paging through (campaign, unrevealed, personal threshold <= cutoff) by id reads
    exactly the set counted before. The next chunk is read from the database while the previous
    one is opened in a worker thread.
    """
    # Pledges past their own deadline at the claim are not part of it (`counting`).
    unrevealed = Pledge.filter(
        counting.within_deadline(now),
        campaign_id=campaign.id,
        revealed=False,
        personal_threshold__lte=cutoff,
    ).order_by("id")

    async def fetch(after: UUID | None) -> list[Row]:
        page = unrevealed.filter(id__gt=after) if after is not None else unrevealed
        return await page.limit(_CHUNK).values_list("id", "envelope", "personal_threshold")

    opened: list[Opened] = []
    unopened: list[UUID] = []
    opening: set[asyncio.Future[tuple[list[Opened], list[UUID]]]] = set()
    try:
        rows = await fetch(None)
        while rows:
            opening.add(
                asyncio.ensure_future(
                    keys.in_thread(_open_rows, campaign, rows, keystore, private_key)
                )
            )
            rows = await fetch(rows[-1][0]) if len(rows) == _CHUNK else []
            while len(opening) >= _OPENERS:
                done, opening = await asyncio.wait(opening, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    good, bad = task.result()
                    opened += good
                    unopened += bad
        for task in asyncio.as_completed(opening):
            good, bad = await task
            opened += good
            unopened += bad
        opening = set()
    finally:
        # On failure, let the workers finish and collect their outcome: none is left running.
        await asyncio.gather(*opening, return_exceptions=True)
    if unopened or len(opened) != expected:
        log.warning(
            "reveal: %d pledge(s) of the revealed set could not be opened", expected - len(opened)
        )
    return opened, unopened


async def _mark_revealed(
    campaign_id: UUID,
    cutoff: int,
    opened_ids: list[UUID],
    unopened: list[UUID],
    connection: BaseDBAsyncClient,
    now: datetime,
) -> None:
    """Mark the revealed set revealed and empty its envelopes, in the reveal's transaction.

    The set is (campaign, unrevealed, personal threshold <= the final cutoff) minus the rows that
    could not be opened: one statement, rather than one per chunk of ids, when those are few.
    """
    if len(unopened) <= _CHUNK:
        query = Pledge.filter(
            counting.within_deadline(now),
            campaign_id=campaign_id,
            revealed=False,
            personal_threshold__lte=cutoff,
        )
        if unopened:
            query = query.exclude(id__in=unopened)
        marked = await query.using_db(connection).update(revealed=True, envelope=None)
    else:
        marked = 0
        for start in range(0, len(opened_ids), _CHUNK):
            marked += await (
                Pledge.filter(id__in=opened_ids[start : start + _CHUNK])
                .using_db(connection)
                .update(revealed=True, envelope=None)
            )
    if marked != len(opened_ids):  # the set moved underneath: roll everything back
        raise RuntimeError("the revealed set changed during the reveal")


async def _reveal_claimed(
    campaign_id: UUID, from_state: CampaignState, keystore: Keystore, now: datetime
) -> bool:
    campaign = await Campaign.get(id=campaign_id)
    # The team as it is at the claim: a member removed before it receives nothing. Read again
    # here because the team may have changed since the check before the claim.
    recipients = await team.recipient_keys(campaign_id)
    if not recipients:
        await _release_claim(campaign_id, from_state, now)
        return False
    private_key = await gateshares.rebuild_key(campaign, keystore)
    if private_key is None:
        await _release_claim(campaign_id, from_state, now)
        return False
    cutoff, size = await counting.revealable(campaign_id, now)
    if cutoff is None or size < campaign.threshold:
        del private_key
        await _back_to_open(campaign_id, keystore, now)
        return False
    opened, unopened = await _open_revealed_set(campaign, cutoff, size, private_key, keystore, now)
    del private_key  # the campaign key existed only for the loop above
    # Only what was actually opened counts: the revealed set is chosen again over the opened
    # records, so nobody is revealed in a set smaller than the threshold or their own.
    opened, final_cutoff = _qualifying(opened)
    if len(opened) < campaign.threshold:
        log.warning(
            "reveal: too few pledges could be opened to reach the threshold; nothing revealed"
        )
        await _back_to_open(campaign_id, keystore, now)
        return False

    release_key = await keys.in_thread(
        keystore.get_or_create, keys.release_key(campaign_id), atrest.new_field_key
    )
    opened_ids = [pledge_id for pledge_id, _values in opened]
    records = [values for _id, values in opened]
    del opened
    release.sort_records(records)
    released = release.Released()
    chunks = release.sealed_chunks(
        campaign,
        records,
        organiser_keys=recipients,
        release_key=release_key,
        released=released,
    )
    async with in_transaction() as connection:
        # Sealed and stored one batch of chunks at a time, inside the transaction: a reveal that
        # fails part-way leaves no chunk behind, and no more than a batch is held sealed.
        batch: list[ReleasedChunk] = []
        for chunk in chunks:
            batch.append(chunk)
            if len(batch) == _STORE_CHUNKS:
                await ReleasedChunk.bulk_create(batch, using_db=connection)
                batch = []
        if batch:
            await ReleasedChunk.bulk_create(batch, using_db=connection)
        del chunks, records, batch  # the sorted plaintext is not needed any more
        moved = (
            await Campaign.filter(
                id=campaign_id, state=CampaignState.REVEALING, reveal_claimed_at=now
            )
            .using_db(connection)
            .update(
                state=CampaignState.REVEALED,
                # Rounded up: it times the retention (`retention`) and is cleared with the lists.
                revealed_at=clock.hour_up(now),
                # The claim token and the cooling-off end have served: kept, they would date
                # the crossing.
                reveal_claimed_at=None,
                cooling_off_ends_at=None,
                revealed_count=len(opened_ids),
                released_to_organisers=released.to_organisers,
                released_to_cosigners=released.to_cosigners,
                released_to_public=released.to_public,
                keys_pending=True,
            )
        )
        if moved != 1:
            raise RuntimeError("the reveal claim was released before the reveal finished")
        await _mark_revealed(campaign_id, final_cutoff, opened_ids, unopened, connection, now)
        await LifecycleEvent.create(
            campaign_id=campaign_id,
            kind=EventKind.REVEALED,
            at=clock.week_start(now),  # the week only: a reveal follows a pledge's crossing
            count=len(opened_ids),
            using_db=connection,
        )
    await shredding.clear_leftovers(campaign_id, keystore)
    return True
