"""The release: close a survey, count its answers once in memory, keep only the tables.

Exactly once, whatever the concurrency: a conditional update moves the survey from `open` to
`releasing` (a claim); only the process whose update changed the row goes on. Answers lock the
survey row while open, so the claim waits for those under way and every later one is refused:
the set of responses cannot change underneath.

Then, in a worker thread, the responses are read a chunk at a time, opened with the tally key
and handed to `tables.release`, which counts in one pass and suppresses; nothing opened is kept.
With at least k responses, their text answers are opened too: for each text question, the
answers given (when at least k) are shuffled (sorted on a random key in runs sealed under a key
held in memory only, `organise.sorting`: never all in memory, nothing readable on disk) and
sealed for the team, a chunk at a time (a `crypto.streams` stream
to the enabled team members' keys, its head wrapped under a keystore key that the retention
deletes); a question with fewer than k texts keeps none. With fewer than k responses the text
answers are destroyed unread.

One transaction stores the tables and the team's texts and empties every response (their
receipts' hashes stay, so that a receipt can show the results, unless there were fewer than k
responses: then the rows go too, and nothing says how many there were); the unused invite codes
are deleted. After the commit the tally and text keys are deleted from the keystore; a crash
in between leaves `keys_pending`, which the next tick finishes.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
import anyio.from_thread
import nacl.public
from tortoise.transactions import in_transaction

from crypto import streams
from crypto.errors import EnvelopeError
from crypto.keystore import Keystore
from organise import claims, sorting
from organise.i18n import _
from organise.refusal import Refused
from organise.surveys import keys, tables, team
from organise.surveys.definition import Question, questions_of
from organise.surveys.models import (
    Survey,
    SurveyInvite,
    SurveyResponse,
    SurveyState,
    SurveyTextChunk,
)
from organise.surveys.sealing import open_choices, open_texts

log = logging.getLogger("organise.surveys")

READ_CHUNK = 1000
TEXT_CHUNK_RECORDS = 500
STORE_CHUNKS = 20  # sealed text chunks written at a time


def texts_context(survey: Survey) -> str:
    return f"organise.survey-texts:{survey.id}"


def texts_runs_context(survey: Survey) -> str:
    return f"organise.survey-text-runs:{survey.id}"


def _text_order(values: sorting.Values) -> tuple[str, str]:
    """(question, random key): each question's texts together, shuffled."""
    return values[0], values[1]


def texts_head_context(survey: Survey) -> str:
    return f"organise.survey-texts-head:{survey.id}"


def released_at(survey: Survey) -> str:
    return survey.released_on.isoformat() if survey.released_on else ""


def results_of(survey: Survey) -> tables.Released | None:
    return None if survey.results is None else tables.Released.from_json(survey.results)


@dataclass
class _Opened:
    """What one pass over the responses gives, besides the tables: the text answers, shuffled
    per question in sealed runs (`organise.sorting`: never all in memory, nothing readable on
    disk), and how many each question had."""

    texts: sorting.SealedRuns
    text_counts: dict[str, int] = field(default_factory=dict)
    unopened: int = 0

    def add_texts(self, texts: dict[str, str]) -> None:
        # A random key per text: sorted on (question, key), each question's texts come out
        # in an order that owes nothing to when they were written.
        self.texts.add([(qid, secrets.token_hex(16), text) for qid, text in texts.items()])
        for qid in texts:
            self.text_counts[qid] = self.text_counts.get(qid, 0) + 1


async def _chunk(
    survey_id: UUID, after: UUID | None
) -> list[tuple[UUID, bytes | None, bytes | None]]:
    query = SurveyResponse.filter(survey_id=survey_id)
    if after is not None:
        query = query.filter(id__gt=after)
    rows = (
        await query.order_by("id")
        .limit(READ_CHUNK)
        .values_list("id", "sealed_choices", "sealed_texts")
    )
    return [(row[0], row[1], row[2]) for row in rows]


def _count(
    survey: Survey,
    questions: tuple[Question, ...],
    tally_private: bytes,
    text_private: bytes | None,
    opened: _Opened,
) -> tables.Released:
    """In a worker thread: read, open and count every response, a chunk at a time."""

    def answers() -> Iterator[dict[str, Any]]:
        after: UUID | None = None
        while True:
            rows = anyio.from_thread.run(_chunk, survey.id, after)
            for response_id, choices, texts in rows:
                after = response_id
                if choices is None:
                    continue
                try:
                    answer = open_choices(survey, questions, bytes(choices), tally_private)
                except EnvelopeError:
                    opened.unopened += 1
                    continue
                if text_private is not None and texts is not None:
                    with contextlib.suppress(EnvelopeError):
                        opened.add_texts(open_texts(survey, questions, bytes(texts), text_private))
                yield answer
            if len(rows) < READ_CHUNK:
                return

    counted = [question.counted() for question in questions]
    return tables.release(counted, answers(), k=survey.k)


def _team_texts(survey: Survey, opened: _Opened) -> Iterator[dict[str, str]]:
    """The texts kept for the team: per question, only with at least k, shuffled."""
    kept = {qid for qid, count in opened.text_counts.items() if count >= survey.k}
    for qid, _order, text in opened.texts.merged():
        if qid in kept:
            yield {"question": qid, "text": text}


def _sealed_chunks(
    survey: Survey, records: Iterator[dict[str, str]], recipients: list[bytes], texts_key: bytes
) -> tuple[bytes, Iterator[SurveyTextChunk]]:
    """The stream's wrapped head, and its chunks of TEXT_CHUNK_RECORDS records each, sealed as
    they are read (one chunk in memory at a time)."""
    writer = streams.seal_to_recipients(recipients, context=texts_context(survey))
    head = streams.wrap_head(writer.head, texts_key, context=texts_head_context(survey))

    def chunks() -> Iterator[SurveyTextChunk]:
        batch = list(itertools.islice(records, TEXT_CHUNK_RECORDS))
        position = 0
        while True:
            following = list(itertools.islice(records, TEXT_CHUNK_RECORDS))
            data = writer.push(
                json.dumps(batch, ensure_ascii=False, separators=(",", ":")).encode("utf-8"),
                final=not following,
            )
            yield SurveyTextChunk(survey_id=survey.id, position=position, data=data)
            if not following:
                return
            batch, position = following, position + 1

    return head, chunks()


async def release(
    survey_id: UUID, *, keystore: Keystore, now: datetime | None = None, early: bool = False
) -> bool:
    """Close and release the survey: at its closing time, or now when `early` (its team closes
    it). True if this call released it; False if it was not due or another process did."""
    now = now or datetime.now(UTC)
    due: dict[str, Any] = {} if early else {"closes_at__lte": now}
    claimed = await Survey.filter(id=survey_id, state=SurveyState.OPEN, **due).update(
        state=SurveyState.RELEASING, release_claimed_at=now
    )
    if claimed != 1:
        return False
    texts_name = keys.texts_key(survey_id)
    # Renewed while it counts (`claims`): a large survey takes minutes, and must never be taken
    # for a dead process's and started again beside itself.
    claim = claims.Claim(
        Survey, survey_id, SurveyState.RELEASING, "release_claimed_at", now, _changed
    )
    try:
        await _release_claimed(survey_id, keystore=keystore, claim=claim, texts_name=texts_name)
    except BaseException:
        with anyio.CancelScope(shield=True):
            # Only while the claim is still this call's: otherwise another release owns the
            # survey now, and the texts key may be its own.
            if await claim.held():
                await keys.delete_names(keystore, [texts_name])
                await Survey.filter(
                    id=survey_id, state=SurveyState.RELEASING, release_claimed_at=claim.at
                ).update(state=SurveyState.OPEN, release_claimed_at=None)
        raise
    await clear_keys(survey_id, keystore)
    return True


def _changed() -> Refused:
    return Refused(
        _("This survey changed state meanwhile; look at it again."),
        status=409,
        code="survey_changed",
    )


async def _release_claimed(
    survey_id: UUID, *, keystore: Keystore, claim: claims.Claim, texts_name: str
) -> None:
    now = claim.at
    survey = await Survey.get(id=survey_id)
    questions = questions_of(survey.questions)
    found = await keys.in_thread(
        keystore.get_many, [keys.tally_key(survey.id), keys.text_key(survey.id)]
    )
    tally_private = found.get(keys.tally_key(survey.id))
    if tally_private is None:
        raise Refused(
            _("This survey's tally key is missing from the keystore: it cannot be counted."),
            status=409,
            code="tally_key_missing",
        )
    responses = await SurveyResponse.filter(
        survey_id=survey.id, sealed_choices__isnull=False
    ).count()
    has_texts = any(question.type == "text" for question in questions)
    text_private = (
        found.get(keys.text_key(survey.id)) if responses >= survey.k and has_texts else None
    )
    with sorting.SealedRuns(_text_order, texts_runs_context(survey)) as runs:
        opened = _Opened(runs)
        head: bytes | None = None
        chunks: Iterator[SurveyTextChunk] = iter(())
        async with claim.kept():
            released = await anyio.to_thread.run_sync(
                _count, survey, questions, tally_private, text_private, opened
            )
            recipients = await team.recipient_keys(survey.id)
            if recipients and any(count >= survey.k for count in opened.text_counts.values()):
                texts_key = await keys.in_thread(keystore.get_or_create, texts_name, _new_key)
                head, chunks = _sealed_chunks(
                    survey, _team_texts(survey, opened), recipients, texts_key
                )
        day = now.astimezone(UTC).date()
        survey.released_on = day
        async with in_transaction() as connection:
            moved = (
                await Survey.filter(
                    id=survey.id, state=SurveyState.RELEASING, release_claimed_at=claim.at
                )
                .using_db(connection)
                .update(
                    state=SurveyState.RELEASED,
                    release_claimed_at=None,
                    released_on=day,
                    results=released.as_json(slug=survey.slug, released_at=day.isoformat()),
                    texts_head=head,
                    texts_until=day + timedelta(days=survey.keep_texts_days),
                    texts_destroyed=head is None,
                    keys_pending=True,
                )
            )
            if moved != 1:
                raise _changed()
            kept = SurveyResponse.filter(survey_id=survey.id).using_db(connection)
            if released.responses is None:
                await kept.delete()  # fewer than k: not even the receipts stay
            else:
                await kept.update(sealed_choices=None, sealed_texts=None)
            await SurveyInvite.filter(survey_id=survey.id).using_db(connection).delete()
            # Sealed and stored a few chunks at a time: the texts are never all in memory.
            while batch := list(itertools.islice(chunks, STORE_CHUNKS)):
                await SurveyTextChunk.bulk_create(batch, using_db=connection)
    if opened.unopened:
        log.warning("survey release: %d responses could not be opened", opened.unopened)


def _new_key() -> bytes:
    return secrets.token_bytes(streams.STREAM_KEY_BYTES)


async def clear_keys(survey_id: UUID, keystore: Keystore) -> bool:
    """Delete the arrival keys of a released survey (and, once its texts are destroyed, their
    key too); True if there was anything pending."""
    survey = await Survey.get_or_none(id=survey_id, keys_pending=True)
    if survey is None:
        return False
    names = [keys.tally_key(survey_id), keys.text_key(survey_id)]
    if survey.texts_destroyed:
        names.append(keys.texts_key(survey_id))
    await keys.delete_names(keystore, names)
    await Survey.filter(id=survey_id).update(keys_pending=False)
    return True


async def destroy_texts(survey_id: UUID, *, keystore: Keystore, today: datetime) -> bool:
    """At the end of the retention: the team's texts, their key and the receipts' rows go."""
    day = today.astimezone(UTC).date()
    async with in_transaction() as connection:
        moved = (
            await Survey.filter(
                id=survey_id, state=SurveyState.RELEASED, texts_until__lte=day, keys_pending=False
            )
            .filter(texts_until__isnull=False)
            .using_db(connection)
            .update(texts_destroyed=True, texts_head=None, texts_until=None, keys_pending=True)
        )
        if moved != 1:
            return False
        await SurveyTextChunk.filter(survey_id=survey_id).using_db(connection).delete()
        await SurveyResponse.filter(survey_id=survey_id).using_db(connection).delete()
    await clear_keys(survey_id, keystore)
    return True


async def release_stale_claims(now: datetime) -> int:
    """Claims older than `claims.STALE_CLAIM` (their process died) go back to `open`."""
    return await Survey.filter(
        state=SurveyState.RELEASING, release_claimed_at__lt=claims.stale_before(now)
    ).update(state=SurveyState.OPEN, release_claimed_at=None)


async def team_texts(
    survey: Survey, private_key: nacl.public.PrivateKey, keystore: Keystore
) -> list[dict[str, str]]:
    """The text answers kept for the team, opened with a team member's private key."""
    if survey.state != SurveyState.RELEASED:
        raise Refused(
            _("This survey is still open: nobody can read its text answers before it closes."),
            status=409,
            code="survey_open",
        )
    if survey.texts_head is None:
        raise Refused(
            _(
                "No text answers are kept for this survey: fewer than k were given, or they "
                "were destroyed at the end of their retention period."
            ),
            status=410,
            code="no_texts",
        )
    texts_key = await keys.in_thread(keystore.get, keys.texts_key(survey.id))
    if texts_key is None:
        raise Refused(
            _("The text answers of this survey were destroyed."), status=410, code="no_texts"
        )
    head = streams.unwrap_head(
        bytes(survey.texts_head), texts_key, context=texts_head_context(survey)
    )
    try:
        reader = streams.open_for_recipient(head, private_key, context=texts_context(survey))
    except EnvelopeError:
        raise Refused(
            _(
                "The text answers were sealed to the survey's team as it was at the close; "
                "this account was not on it."
            ),
            status=403,
            code="not_a_recipient",
        ) from None
    chunks = (
        await SurveyTextChunk.filter(survey_id=survey.id)
        .order_by("position")
        .values_list("data", flat=True)
    )
    found: list[dict[str, str]] = []
    for data in chunks:
        found += json.loads(reader.pull(bytes(data)))  # type: ignore[arg-type]
    reader.check_finished()
    return found
