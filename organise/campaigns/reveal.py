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

The claim is renewed while the envelopes are opened (`organise.claims`), so a reveal that
outlasts `claims.STALE_CLAIM` is never taken for a dead process's and started again beside
itself.

Memory does not grow with the number of pledges: rows and their keys are read `_READ` at a
time and opened in a pool of worker processes (`opening`, one per core); the opened records
are sorted in runs sealed under a key held in memory only (`sorting`: nothing readable is
written to disk), then merged, sealed and stored one chunk at a time (`release.sealed_chunks`)
inside the transaction that marks the pledges revealed: a failure leaves no chunk behind.
Once that commits, the revealed pledges' keys are deleted, which leaves their envelopes
unreadable; the next tick empties the envelopes (`shredding.clear_leftovers`).
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import anyio
import nacl.public
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import RawSQL
from tortoise.queryset import QuerySet
from tortoise.transactions import in_transaction

from crypto import atrest
from crypto.keystore import Keystore
from organise import claims, sorting
from organise.campaigns import (
    clock,
    counting,
    gateshares,
    keys,
    opening,
    policy,
    release,
    shredding,
    team,
)
from organise.campaigns.models import (
    Campaign,
    CampaignState,
    EventKind,
    LifecycleEvent,
    Pledge,
    ReleasedChunk,
)
from organise.campaigns.opening import RECORD_FIELDS, Values

log = logging.getLogger("organise.campaigns")

_CHUNK = 500  # envelopes per job for an opener, and ids per statement when marking
_READ = 2000  # rows (and keys) read per query: one round trip for several jobs
_IN_FLIGHT = 2  # jobs waiting for, or being opened by, each opener, beyond one read's worth
# The id as text straight from the database: converting each id to a UUID object and back to
# text took the parent's CPU, which on two cores the openers share.
_ID_TEXT = RawSQL('CAST("id" AS TEXT)')
_STORE_CHUNKS = 8  # sealed chunks (of up to release.CHUNK_RECORDS records) per insert
_PERSONAL = RECORD_FIELDS.index("personal_threshold")

Row = tuple[str, bytes | None, int]


def _claim_lost() -> Exception:
    return RuntimeError("the reveal claim was released before the reveal finished")


def runs_context(campaign_id: UUID) -> str:
    return f"organise.campaign-reveal.sort-runs:{campaign_id}"


@dataclass
class _Opened:
    """What opening the revealed set gave: the records (sorted in sealed runs), how many were
    opened at each personal threshold, and the ids of the pledges that could not be opened."""

    runs: sorting.SealedRuns
    thresholds: Counter[int] = field(default_factory=Counter)
    unopened: list[UUID] = field(default_factory=list)

    def take(self, outcome: opening.Outcome) -> None:
        records, unopened = outcome
        self.thresholds.update(int(values[_PERSONAL]) for values in records)
        self.runs.add(records)
        self.unopened += [UUID(pledge_id) for pledge_id in unopened]

    @property
    def count(self) -> int:
        return sum(self.thresholds.values())


def _final_cutoff(thresholds: Counter[int]) -> tuple[int | None, int]:
    """The largest qualifying set among the opened records (`policy.revealed_cutoff`): the
    highest personal threshold it admits, and its size."""
    cutoff, _size = policy.revealed_cutoff(thresholds)
    if cutoff is None:
        return None, 0
    return cutoff, sum(count for personal, count in thresholds.items() if personal <= cutoff)


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
    # Renewed while the envelopes are opened (`claims`): a large campaign takes minutes, and
    # must never be taken for a dead process's and revealed again beside itself.
    claim = claims.Claim(
        Campaign, campaign_id, CampaignState.REVEALING, "reveal_claimed_at", now, _claim_lost
    )
    try:
        return await _reveal_claimed(campaign_id, from_state, keystore, now, claim)
    except BaseException:
        with anyio.CancelScope(shield=True):
            await _release_claim(campaign_id, from_state, claim.at)
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


def _unrevealed(campaign_id: UUID, cutoff: int, now: datetime) -> QuerySet[Pledge]:
    """The revealed set as the claim fixed it: while the campaign is `revealing` nobody can
    sign or withdraw, so (campaign, unrevealed, personal threshold <= cutoff) is the set counted
    before. Pledges past their own deadline at the claim are not part of it (`counting`)."""
    return Pledge.filter(
        counting.within_deadline(now),
        campaign_id=campaign_id,
        revealed=False,
        personal_threshold__lte=cutoff,
    )


async def _jobs(
    campaign_id: UUID, query: QuerySet[Pledge], keystore: Keystore
) -> AsyncIterator[list[opening.Job]]:
    """The set's rows with their keys, _CHUNK at a time, in pledge-id order (random, not
    arrival order): one query and one keystore read per _READ rows."""
    campaign = str(campaign_id)
    after: str | None = None
    while True:
        page = query.filter(id__gt=after) if after is not None else query
        rows: list[Row] = (
            await page.annotate(text_id=_ID_TEXT)
            .order_by("id")
            .limit(_READ)
            .values_list("text_id", "envelope", "personal_threshold")
        )
        if not rows:
            return
        names = [keys.pledge_key(campaign, pledge_id) for pledge_id, _envelope, _personal in rows]
        found = await keys.in_thread(keystore.get_many, names)
        jobs = [
            (pledge_id, None if envelope is None else bytes(envelope), found.get(name), personal)
            for (pledge_id, envelope, personal), name in zip(rows, names, strict=True)
        ]
        del found
        for start in range(0, len(jobs), _CHUNK):
            yield jobs[start : start + _CHUNK]
        if len(rows) < _READ:
            return
        after = rows[-1][0]


async def _open_revealed_set(
    campaign: Campaign,
    query: QuerySet[Pledge],
    opened: _Opened,
    private_key: nacl.public.PrivateKey,
    keystore: Keystore,
) -> None:
    """Open the revealed set chunk by chunk, the next chunk read while the openers work."""
    async with opening.Opener(private_key, str(campaign.id)) as opener:
        opening_now: set[asyncio.Future[opening.Outcome]] = set()
        try:
            async for jobs in _jobs(campaign.id, query, keystore):
                opening_now.add(asyncio.ensure_future(opener.open(jobs)))
                while len(opening_now) >= _IN_FLIGHT * opener.workers + _READ // _CHUNK:
                    done, opening_now = await asyncio.wait(
                        opening_now, return_when=asyncio.FIRST_COMPLETED
                    )
                    for task in done:
                        opened.take(task.result())
            for task in asyncio.as_completed(opening_now):
                opened.take(await task)
            opening_now = set()
        finally:
            # On failure, let the openers finish and collect their outcome: none is left running.
            await asyncio.gather(*opening_now, return_exceptions=True)


async def _mark_revealed(
    campaign_id: UUID,
    cutoff: int,
    expected: int,
    unopened: list[UUID],
    connection: BaseDBAsyncClient,
    now: datetime,
) -> None:
    """Mark the revealed set revealed, in the reveal's transaction: (campaign, unrevealed,
    personal threshold <= the final cutoff) in one statement, then the rows that could not be
    opened (normally none) back, _CHUNK at a time. The envelopes are emptied by the next tick
    (`shredding.clear_leftovers`): their keys are deleted as soon as this commits."""
    marked = await _unrevealed(campaign_id, cutoff, now).using_db(connection).update(revealed=True)
    for start in range(0, len(unopened), _CHUNK):
        marked -= await (
            Pledge.filter(id__in=unopened[start : start + _CHUNK], revealed=True)
            .using_db(connection)
            .update(revealed=False)
        )
    if marked != expected:  # the set moved underneath: roll everything back
        raise RuntimeError("the revealed set changed during the reveal")


async def _reveal_claimed(
    campaign_id: UUID,
    from_state: CampaignState,
    keystore: Keystore,
    now: datetime,
    claim: claims.Claim,
) -> bool:
    campaign = await Campaign.get(id=campaign_id)
    # The team as it is at the claim: a member removed before it receives nothing. Read again
    # here because the team may have changed since the check before the claim.
    recipients = await team.recipient_keys(campaign_id)
    if not recipients:
        await _release_claim(campaign_id, from_state, claim.at)
        return False
    private_key = await gateshares.rebuild_key(campaign, keystore)
    if private_key is None:
        await _release_claim(campaign_id, from_state, claim.at)
        return False
    cutoff, size = await counting.revealable(campaign_id, now)
    if cutoff is None or size < campaign.threshold:
        del private_key
        await _back_to_open(campaign_id, keystore, now)
        return False
    with sorting.SealedRuns(release.sort_key, runs_context(campaign_id)) as runs:
        opened = _Opened(runs)
        async with claim.kept():
            await _open_revealed_set(
                campaign, _unrevealed(campaign_id, cutoff, now), opened, private_key, keystore
            )
        del private_key  # the campaign key existed only for the loop above
        if opened.unopened or opened.count != size:
            log.warning(
                "reveal: %d pledge(s) of the revealed set could not be opened",
                size - opened.count,
            )
        # Only what was actually opened counts: the revealed set is chosen again over the
        # opened records, so nobody is revealed in a set smaller than the threshold or their own.
        final_cutoff, revealed_count = _final_cutoff(opened.thresholds)
        if final_cutoff is None or revealed_count < campaign.threshold:
            log.warning(
                "reveal: too few pledges could be opened to reach the threshold; nothing revealed"
            )
            await _back_to_open(campaign_id, keystore, now)
            return False
        release_key = await keys.in_thread(
            keystore.get_or_create, keys.release_key(campaign_id), atrest.new_field_key
        )
        await _store_result(
            campaign,
            (values for values in runs.merged() if int(values[_PERSONAL]) <= final_cutoff),
            recipients,
            release_key,
            claim,
            final_cutoff,
            revealed_count,
            opened.unopened,
            now,
        )
    await shredding.clear_leftovers(campaign_id, keystore, envelopes=False)
    return True


async def _insert_chunks(chunks: Iterator[ReleasedChunk], connection: BaseDBAsyncClient) -> None:
    """Insert the chunks _STORE_CHUNKS at a time, each insert running in the database (or its
    thread) while this process seals the next batch: the reveal's tail otherwise leaves one of
    two cores idle. At most two batches exist at once."""
    inserting: asyncio.Future[Any] | None = None
    try:
        while batch := list(itertools.islice(chunks, _STORE_CHUNKS)):
            if inserting is not None:
                await inserting
            inserting = asyncio.ensure_future(ReleasedChunk.bulk_create(batch, using_db=connection))
            await asyncio.sleep(0)  # under way before the next batch is sealed
        if inserting is not None:
            await inserting
            inserting = None
    finally:
        if inserting is not None:  # sealing failed: the insert ends before the rollback
            await asyncio.gather(inserting, return_exceptions=True)


async def _store_result(
    campaign: Campaign,
    records: Iterator[Values],
    recipients: list[bytes],
    release_key: bytes,
    claim: claims.Claim,
    cutoff: int,
    revealed_count: int,
    unopened: list[UUID],
    now: datetime,
) -> None:
    """Seal the sorted records as they are merged and store them, mark the set revealed and the
    campaign `revealed`: one transaction, so a reveal that fails part-way leaves no chunk
    behind, and no more than a batch of chunks is held sealed."""
    released = release.Released()
    chunks = release.sealed_chunks(
        campaign,
        records,
        organiser_keys=recipients,
        release_key=release_key,
        released=released,
    )
    async with in_transaction() as connection:
        await _insert_chunks(chunks, connection)
        del chunks, records  # the sorted plaintext is not needed any more
        moved = (
            await Campaign.filter(
                id=campaign.id, state=CampaignState.REVEALING, reveal_claimed_at=claim.at
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
                revealed_count=revealed_count,
                released_to_organisers=released.to_organisers,
                released_to_cosigners=released.to_cosigners,
                released_to_public=released.to_public,
                keys_pending=True,
            )
        )
        if moved != 1:
            raise _claim_lost()
        await _mark_revealed(campaign.id, cutoff, revealed_count, unopened, connection, now)
        await LifecycleEvent.create(
            campaign_id=campaign.id,
            kind=EventKind.REVEALED,
            at=clock.week_start(now),  # the week only: a reveal follows a pledge's crossing
            count=revealed_count,
            using_db=connection,
        )
