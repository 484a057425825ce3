"""The revealed pledges at rest, for each audience, as streams of sealed chunks.

- Organisers: the full records sealed to the public key of each enabled member of the campaign's
  team at the moment of the reveal (`team.recipient_keys`), and to no one else. Only someone
  holding one of those private keys (a member's passphrase, or their signed-in session) can
  read them, and only while the campaign's release key exists: the stream's head is stored
  wrapped under it (`crypto.streams.wrap_head`).
- Co-signers: name, contact, team and message of the revealed set, under a keystore key: the
  server decrypts it only to answer a request carrying a revealed co-signer's receipt.
- The public: the names of revealed signers who chose to be listed, under the same keystore key.

Each audience is one `crypto.streams` stream: its head in the campaign row
(`released_to_<audience>`), its chunks (`CHUNK_RECORDS` records each, a JSON array) in
`ReleasedChunk` rows. Chunks are sealed and stored one at a time, and read one at a time, so
neither the reveal nor the export holds the sealed or opened result whole. The stream is
authenticated as a sequence: a chunk dropped, reordered, cut off or taken from another campaign
makes the reader fail (`crypto.errors.StreamError`) rather than return fewer records.

All three are readable until `Campaign.keep_revealed_days` after the reveal; then `retention`
deletes the release key and the stored lists.

Releases made before streaming hold one whole blob in the campaign row (`crypto.sealing` for
organisers, `crypto.atrest` for the others); `crypto.streams.is_head` tells the two apart by
their first byte, and both are authenticated, so neither can be read as the other. Organisers'
heads stored before wrapping (first byte 0x21) still open with a private key alone, until their
retention ends.

When a recipient's account gets a new key pair (`organisers.rekeying`), the organisers' copy of
every release still readable is addressed to the new key in place of the old one
(`reseal_for_new_key`), in whichever of the three forms it is stored.
"""

from __future__ import annotations

import itertools
import json
import logging
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import nacl.public
from tortoise.transactions import in_transaction

from crypto import atrest, sealing, streams
from crypto.errors import EnvelopeError, StreamError
from crypto.keystore import Keystore
from organise.campaigns import keys
from organise.campaigns.models import Audience, Campaign, ReleasedChunk
from organise.campaigns.opening import RECORD_FIELDS, Values
from organise.db import column_values
from organise.i18n import _
from organise.refusal import Refused

log = logging.getLogger("organise.campaigns")

COSIGNER_FIELDS = ("name", "contact", "team", "message")
CHUNK_RECORDS = 500
_READ_CHUNKS = 8  # chunk rows fetched per query when reading
_NAME = RECORD_FIELDS.index("name")
_LISTED = RECORD_FIELDS.index("list_publicly")


def organisers_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.organisers:{campaign.id}"


def cosigners_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.cosigners:{campaign.id}"


def public_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.public:{campaign.id}"


def organisers_head_context(campaign: Campaign) -> str:
    return f"organise.campaign-release.organisers-head:{campaign.id}"


def destroyed() -> Refused:
    """The answer once the retention period has destroyed the revealed lists."""
    return Refused(
        _(
            "The revealed list of this campaign was destroyed at the end of its retention "
            "period: nobody can read it on this server any more. Copies the organisers "
            "exported are theirs to keep or destroy."
        ),
        status=410,
        code="release_destroyed",
    )


def _encode(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def as_values(record: dict[str, Any]) -> Values:
    return tuple([record.get(name) for name in RECORD_FIELDS])


def sort_key(values: Values) -> tuple[str, str]:
    """The order of revealed lists: alphabetical on the whole record, case-folded first, then
    exact.

    Even records equal in name and team never keep the order in which the rows were read (close
    to the order in which people signed), and equal records are indistinguishable. The reveal
    sorts runs of records with it and merges them (`sorting`).
    """
    exact = _exact_key(values)
    return exact.casefold(), exact


def sort_records(records: list[Values]) -> None:
    """Sort in place by `sort_key`."""
    records.sort(key=sort_key)


def _exact_key(values: Values) -> str:
    return "\x00".join([str(value or "") for value in values])


@dataclass
class Released:
    """The heads of the streams written by `sealed_chunks` (None: nothing for that audience)."""

    to_organisers: bytes | None = None
    to_cosigners: bytes | None = None
    to_public: bytes | None = None


def _batches(records: Iterable[Values]) -> Iterator[tuple[list[Values], bool]]:
    """CHUNK_RECORDS records at a time, each batch with whether it is the last (at least one
    batch, empty when there are no records)."""
    remaining = iter(records)
    batch = list(itertools.islice(remaining, CHUNK_RECORDS))
    while True:
        following = list(itertools.islice(remaining, CHUNK_RECORDS))
        yield batch, not following
        if not following:
            return
        batch = following


def sealed_chunks(
    campaign: Campaign,
    records: Iterable[Values],
    *,
    organiser_keys: list[bytes],
    release_key: bytes,
    released: Released,
) -> Iterator[ReleasedChunk]:
    """Seal `records` (already sorted; any iterable, read once as it goes) chunk by chunk, for
    every audience of the campaign.

    Fills `released` with the heads as it goes; yields unsaved `ReleasedChunk` rows, so that the
    caller stores them as they come and no more than one chunk's plaintext exists at a time.
    """
    writers: dict[Audience, streams.StreamWriter] = {}
    if organiser_keys:
        writers[Audience.ORGANISERS] = streams.seal_to_recipients(
            organiser_keys, context=organisers_context(campaign)
        )
        # Stored wrapped under the release key: once retention deletes that key, a database
        # copy plus an organiser's passphrase opens nothing.
        released.to_organisers = streams.wrap_head(
            writers[Audience.ORGANISERS].head,
            release_key,
            context=organisers_head_context(campaign),
        )
    if campaign.audience in (Audience.COSIGNERS, Audience.PUBLIC):
        writers[Audience.COSIGNERS] = streams.seal_under_key(
            release_key, context=cosigners_context(campaign)
        )
        released.to_cosigners = writers[Audience.COSIGNERS].head
    if campaign.audience == Audience.PUBLIC:
        writers[Audience.PUBLIC] = streams.seal_under_key(
            release_key, context=public_context(campaign)
        )
        released.to_public = writers[Audience.PUBLIC].head
    positions = dict.fromkeys(writers, 0)
    # The public stream only holds listed names: its chunks fill at their own pace.
    names: list[str] = []
    for batch, last in _batches(records):
        plaintexts: dict[Audience, bytes] = {}
        if Audience.ORGANISERS in writers:
            plaintexts[Audience.ORGANISERS] = _encode(
                [dict(zip(RECORD_FIELDS, values, strict=True)) for values in batch]
            )
        if Audience.COSIGNERS in writers:
            plaintexts[Audience.COSIGNERS] = _encode(
                [
                    {
                        name: value or ""
                        for name, value in zip(COSIGNER_FIELDS, values, strict=False)
                    }
                    for values in batch
                ]
            )
        if Audience.PUBLIC in writers:
            names += [values[_NAME] for values in batch if values[_LISTED]]
            if len(names) >= CHUNK_RECORDS or last:
                plaintexts[Audience.PUBLIC] = _encode(names)
                names = []
        for audience, plaintext in plaintexts.items():
            data = writers[audience].push(plaintext, final=last)
            yield ReleasedChunk(
                campaign_id=campaign.id, audience=audience, position=positions[audience], data=data
            )
            positions[audience] += 1


async def _chunk_data(campaign: Campaign, audience: Audience) -> AsyncIterator[bytes]:
    """The stored chunks of one stream, in order, a few rows per query."""
    position = 0
    while True:
        rows = (
            await ReleasedChunk.filter(
                campaign_id=campaign.id, audience=audience, position__gte=position
            )
            .order_by("position")
            .limit(_READ_CHUNKS)
            .values_list("position", "data")
        )
        for stored_position, data in rows:
            # Positions are only an index for reading; the stream's own chaining is what
            # detects a gap, but a gap in positions is already a broken stream.
            if stored_position != position:
                raise StreamError("A chunk of the revealed pledges is missing.")
            yield bytes(data)
            position += 1
        if len(rows) < _READ_CHUNKS:
            return


async def _open_stream(
    campaign: Campaign, audience: Audience, reader: streams.StreamReader
) -> AsyncIterator[list[Any]]:
    async for data in _chunk_data(campaign, audience):
        yield json.loads(reader.pull(data))
    reader.check_finished()


def organiser_reader(
    campaign: Campaign, private_key: nacl.public.PrivateKey, release_key: bytes | None = None
) -> streams.StreamReader | None:
    """Check at once that the release is addressed to this key (EnvelopeError if not).

    None for a release made before streaming (one whole blob; `organiser_records` reads it).
    A head stored wrapped needs the campaign's release key (`release_key_of`): without it (the
    retention period is over), Refused `release_destroyed`.
    """
    if campaign.release_destroyed:
        raise destroyed()
    head = campaign.released_to_organisers
    if head is None:
        return None
    head = bytes(head)
    if streams.is_wrapped_head(head):
        if release_key is None:
            raise destroyed()
        try:
            head = streams.unwrap_head(head, release_key, context=organisers_head_context(campaign))
        except EnvelopeError:
            # Under this campaign's own key and name, so only an altered or moved head fails.
            raise StreamError("The stored head of the revealed pledges is altered.") from None
    elif not streams.is_head(head):
        return None  # made before streaming (and before wrapping): opened as one blob
    return streams.open_for_recipient(head, private_key, context=organisers_context(campaign))


async def organiser_records(
    campaign: Campaign, private_key: nacl.public.PrivateKey, release_key: bytes | None = None
) -> AsyncIterator[list[dict[str, Any]]]:
    """The revealed records, one chunk (a list) at a time.

    EnvelopeError before any record for a key the release was not sealed to; StreamError, possibly
    after some chunks, for a stream that was cut short or altered.
    """
    reader = organiser_reader(campaign, private_key, release_key)  # refuses a destroyed one
    stored = campaign.released_to_organisers
    if stored is None:
        return
    if reader is None:
        data = sealing.open_sealed(
            bytes(stored),
            private_key,
            context=organisers_context(campaign),
        )
        yield json.loads(data)
        return
    async for records in _open_stream(campaign, Audience.ORGANISERS, reader):
        yield records


async def open_for_organiser(
    campaign: Campaign, private_key: nacl.public.PrivateKey, release_key: bytes | None = None
) -> list[dict[str, Any]]:
    """Every revealed record in one list (for the organiser's page)."""
    return [
        record
        async for chunk in organiser_records(campaign, private_key, release_key)
        for record in chunk
    ]


async def release_key_of(campaign: Campaign, keystore: Keystore) -> bytes | None:
    """The key of the campaign's revealed lists; None once the retention has deleted it."""
    return await keys.in_thread(keystore.get, keys.release_key(campaign.id))


async def _server_read(
    campaign: Campaign, audience: Audience, head: bytes, context: str, key: bytes
) -> list[Any]:
    head = bytes(head)
    try:
        if not streams.is_head(head):
            return json.loads(atrest.decrypt_field(key, head, context=context))
        reader = streams.open_under_key(head, key, context=context)
        # Read whole before answering: a damaged list is refused, never shown short.
        return [item async for chunk in _open_stream(campaign, audience, reader) for item in chunk]
    except (StreamError, EnvelopeError):
        raise Refused(
            _(
                "The names this campaign revealed are stored incomplete or altered, so none "
                "are shown. Organisers: restore the database from a backup."
            ),
            status=409,
            code="release_damaged",
        ) from None


async def cosigners(campaign: Campaign, *, keystore: Keystore) -> list[dict[str, str]]:
    key = await release_key_of(campaign, keystore)
    if key is None or campaign.released_to_cosigners is None:
        return []
    return await _server_read(
        campaign,
        Audience.COSIGNERS,
        campaign.released_to_cosigners,
        cosigners_context(campaign),
        key,
    )


async def public_names(campaign: Campaign, *, keystore: Keystore) -> list[str]:
    key = await release_key_of(campaign, keystore)
    if key is None or campaign.released_to_public is None:
        return []
    return await _server_read(
        campaign, Audience.PUBLIC, campaign.released_to_public, public_context(campaign), key
    )


async def _reseal_stream(
    campaign: Campaign,
    head: bytes,
    old_key: nacl.public.PrivateKey,
    new_public_key: bytes,
) -> bytes:
    """Seal every stored chunk of the organisers' stream again for its new head; the new head.

    One chunk at a time, each checked as it is read: an altered stream raises StreamError."""
    reader, writer = streams.reseal_to_new_key(
        head, old_key, new_public_key, context=organisers_context(campaign)
    )
    position = 0
    async for data in _chunk_data(campaign, Audience.ORGANISERS):
        sealed = writer.push(reader.pull(data), final=reader.finished)
        await ReleasedChunk.filter(
            campaign_id=campaign.id, audience=Audience.ORGANISERS, position=position
        ).update(data=sealed)
        position += 1
    reader.check_finished()
    return writer.head


def _addressed_to(head_or_blob: bytes, key: nacl.public.PrivateKey) -> bool:
    offset = 1  # after the kind or version byte, in both forms
    entries, _end = sealing.parse_recipient_entries(head_or_blob, offset)
    return sealing.fingerprint(key.public_key.encode()) in {fp for fp, _sealed in entries}


async def _reseal_release(
    campaign: Campaign,
    old_key: nacl.public.PrivateKey,
    new_public_key: bytes,
    keystore: Keystore,
) -> bool:
    stored = campaign.released_to_organisers
    if stored is None or campaign.release_destroyed:
        return False
    stored = bytes(stored)
    if streams.is_wrapped_head(stored):
        release_key = await release_key_of(campaign, keystore)
        if release_key is None:  # retention over: nobody can read it any more
            return False
        context = organisers_head_context(campaign)
        head = streams.unwrap_head(stored, release_key, context=context)
        if not _addressed_to(head, old_key):
            return False
        new_head = await _reseal_stream(campaign, head, old_key, new_public_key)
        fresh = streams.wrap_head(new_head, release_key, context=context)
    elif streams.is_head(stored):  # stored before wrapping
        if not _addressed_to(stored, old_key):
            return False
        fresh = await _reseal_stream(campaign, stored, old_key, new_public_key)
    else:  # one whole blob, stored before streaming
        if not _addressed_to(stored, old_key):
            return False
        fresh = sealing.reseal_to_new_key(
            stored, old_key, new_public_key, context=organisers_context(campaign)
        )
    await Campaign.filter(id=campaign.id).update(released_to_organisers=fresh)
    return True


async def reseal_for_new_key(
    old_key: nacl.public.PrivateKey, new_public_key: bytes, keystore: Keystore
) -> int:
    """Address the organisers' copy of every release sealed to `old_key` to `new_public_key`.

    For an account that gets a new key pair: call it inside the transaction that stores the new
    key, before the old one is dropped. The other recipients keep reading as before; the old key
    opens none of them any more. Each campaign row is locked first, so the retention cannot
    destroy a list while it is being sealed again. A list that is stored altered is left as it
    was (nobody can read it whole anyway). Returns how many were sealed again.
    """
    readable = Campaign.filter(released_to_organisers__isnull=False, release_destroyed=False)
    resealed = 0
    for campaign_id in await column_values(readable, "id"):
        campaign = await Campaign.select_for_update().get(id=campaign_id)
        try:
            async with in_transaction():  # a savepoint: an altered list leaves no half-written copy
                resealed += await _reseal_release(campaign, old_key, new_public_key, keystore)
        except EnvelopeError:  # StreamError included
            log.warning("re-key: a revealed list stored altered was left as it was")
    return resealed
