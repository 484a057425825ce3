"""A submission done once: the same token and content show the first outcome again.

How a worker form or JSON endpoint uses it (`run_once`):

1. Look for a record of the token under today's and yesterday's day key (`Once.find`).
2. Same content: the first outcome is shown again, and nothing new is stored.
3. Other content: a web form deletes the record and goes on as if the token were new (so a
   replayed token teaches nothing: a used invite code fails as any used code does); the JSON
   API refuses with 422.
4. Otherwise the work runs, and records its outcome *inside its own transaction*, as its last
   statement (`Record`): the record exists if and only if the work committed. Two requests with
   one token at the same moment both try to insert the same id; the second waits for the first
   (PostgreSQL's unique index), fails, rolls its work back and shows the first one's outcome.

Day keys: `submission/day/<YYYY-MM-DD>` (UTC) in the keystore, made on first use; `sweep` (run
by every tick) deletes those whose day began 48 hours ago or more, and every record whose day
mark matches no remaining key.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Generic, Literal, Protocol, TypeVar, cast

import anyio
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from crypto import submissions
from crypto.errors import EnvelopeError
from crypto.keystore import Keystore
from organise.i18n import _
from organise.refusal import Refused
from organise.submissions.models import Submission

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)

DAY_KEY_PREFIX = "submission/day/"
# Look-ups use today's and yesterday's key; a key is deleted once two more days have begun,
# 48 hours after its own day began. A record is so found for 24 to 48 hours.
_YESTERDAY = timedelta(days=1)
_CHUNK = 500

# Called by the work, inside its transaction, with the connection and the work's result.
Record = Callable[[BaseDBAsyncClient, T], Awaitable[None]]
# What a record of other content under the same token does: deleted (web forms: the token
# is then as good as new) or refused with 422 (the JSON API's Idempotency-Key).
OtherContent = Literal["replace", "refuse"]


class AlreadyRecorded(Exception):
    """Another request with the same token recorded its outcome first (raised by a `Record`)."""


def day_key_name(day: date) -> str:
    return f"{DAY_KEY_PREFIX}{day.isoformat()}"


def _day(now: datetime) -> date:
    return now.astimezone(UTC).date()


def content(form: str, values: Mapping[str, Any]) -> bytes:
    """The canonical encoding of a submission's normalised fields, and of which form it is."""
    return json.dumps(
        {"form": form, "values": dict(values)},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    ).encode("utf-8")


async def day_keys(keystore: Keystore, now: datetime) -> list[bytes]:
    """Today's day key (made if needed), then yesterday's if it still exists."""
    today = _day(now)

    def load() -> list[bytes]:
        current = keystore.get_or_create(day_key_name(today), submissions.new_day_key)
        previous = keystore.get(day_key_name(today - _YESTERDAY))
        return [current] if previous is None else [current, previous]

    return await anyio.to_thread.run_sync(load)


@dataclass(frozen=True)
class Earlier:
    """A record found for a token: the first outcome if the content is the same, else None."""

    outcome: dict[str, Any] | None = field(repr=False)


@dataclass(frozen=True)
class Once:
    """A submission token with the content sent under it, and its keys under each live day key."""

    content: bytes = field(repr=False)
    keys: tuple[submissions.SubmissionKeys, ...]  # today's first

    @property
    def lookups(self) -> list[str]:
        return [keys.lookup.hex() for keys in self.keys]

    async def find(self) -> Earlier | None:
        rows = await Submission.filter(lookup__in=self.lookups)
        if not rows:
            return None
        by_lookup = {keys.lookup.hex(): keys for keys in self.keys}
        for row in rows:
            keys = by_lookup[row.lookup]
            printed = keys.fingerprint(self.content)
            if not submissions.hashes_equal(bytes.fromhex(row.fingerprint), printed):
                continue
            try:
                opened = keys.open_outcome(self.content, row.outcome)
            except EnvelopeError:
                continue  # altered: as good as another content's
            return Earlier(json.loads(opened))
        return Earlier(None)

    async def forget(self) -> int:
        return await Submission.filter(lookup__in=self.lookups).delete()

    async def record(self, connection: BaseDBAsyncClient, outcome: Mapping[str, Any]) -> None:
        keys = self.keys[0]
        sealed = keys.seal_outcome(self.content, json.dumps(dict(outcome)).encode("utf-8"))
        try:
            await Submission.create(
                lookup=keys.lookup.hex(),
                fingerprint=keys.fingerprint(self.content).hex(),
                outcome=sealed,
                day_mark=keys.mark.hex(),
                using_db=connection,
            )
        except IntegrityError:
            raise AlreadyRecorded from None


async def prepare(token: str, content: bytes, *, keystore: Keystore, now: datetime) -> Once:
    """The submission of `content` under a well-formed `token` (see crypto.submissions)."""
    keys = await day_keys(keystore, now)
    return Once(content, tuple(submissions.submission_keys(token, key) for key in keys))


async def forget(token: str, *, keystore: Keystore, now: datetime) -> int:
    """Delete the record of `token`, whatever its content ("I have written it down")."""
    return await (await prepare(token, b"", keystore=keystore, now=now)).forget()


def key_reused() -> Refused:
    return Refused(
        _(
            "This Idempotency-Key was already used for a different request. "
            "Use a new key for a new request."
        ),
        status=422,
        code="idempotency_key_reused",
    )


def sent_twice() -> Refused:
    return Refused(
        _(
            "This form was sent twice at the same moment with different answers, and only one "
            "was kept. Check what you sent and send it again."
        ),
        status=409,
        code="submission_conflict",
    )


@dataclass(frozen=True)
class Outcomes(Generic[T]):
    """How one kind of submission keeps its result, and shows it again from the record."""

    keep: Callable[[T], Mapping[str, Any]]
    shown_again: Callable[[dict[str, Any]], T]


class Work(Protocol[T_co]):
    """A submission's work (`signing.sign`, `submission.submit`...; a `functools.partial` of
    one): it calls `remember`, when given, as the last statement of its transaction."""

    def __call__(self, *, remember: Record[T_co] | None) -> Awaitable[T_co]: ...


async def run_once(
    once: Once | None,
    work: Work[T],
    outcomes: Outcomes[T],
    *,
    other_content: OtherContent,
) -> T:
    """Do `work` once per token: a later call with the same content gets the first result.

    "replace" (web forms) deletes a record of other content and goes on; "refuse" (the JSON
    API) answers 422. Without a token (`once` is None) the work simply runs.
    """
    if once is None:
        return await work(remember=None)
    earlier = await once.find()
    if earlier is not None:
        if earlier.outcome is not None:
            return outcomes.shown_again(earlier.outcome)
        if other_content == "refuse":
            raise key_reused()
        await once.forget()

    async def record(connection: BaseDBAsyncClient, result: T) -> None:
        await once.record(connection, outcomes.keep(result))

    try:
        return await work(remember=record)
    except (Refused, AlreadyRecorded) as error:
        # A request with the same token may have done the work at the same moment (its code
        # use or its record came first): then this one shows that outcome.
        again = await once.find()
        if again is not None:
            if again.outcome is not None:
                return outcomes.shown_again(again.outcome)
            if other_content == "refuse":
                raise key_reused() from None
        if isinstance(error, AlreadyRecorded):
            raise sent_twice() from None
        raise


@dataclass
class Swept:
    day_keys: int = 0
    records: int = 0


def _is_live(name: str, oldest: date) -> bool:
    try:
        return date.fromisoformat(name.removeprefix(DAY_KEY_PREFIX)) >= oldest
    except ValueError:
        return False


async def sweep(keystore: Keystore, now: datetime) -> Swept:
    """Delete day keys older than yesterday's (their day began 48 hours ago or more), and every
    record no remaining key made.

    Today's key is made first, so a request starting now uses a key this sweep counts as live;
    keys dated after today (another process's clock) are kept too.
    """
    today = _day(now)
    oldest = today - _YESTERDAY

    def keys() -> tuple[int, list[bytes]]:
        keystore.get_or_create(day_key_name(today), submissions.new_day_key)
        names = keystore.names(DAY_KEY_PREFIX)
        dead = [name for name in names if not _is_live(name, oldest)]
        deleted = keystore.delete_many(dead) if dead else 0
        live = keystore.get_many(name for name in names if name not in dead)
        return deleted, list(live.values())

    swept = Swept()
    swept.day_keys, live = await anyio.to_thread.run_sync(keys)
    rows = cast(list[tuple[str, str]], await Submission.all().values_list("lookup", "day_mark"))
    gone = [
        lookup
        for lookup, mark in rows
        if not any(
            submissions.hashes_equal(
                submissions.day_mark(bytes.fromhex(lookup), key), bytes.fromhex(mark)
            )
            for key in live
        )
    ]
    for start in range(0, len(gone), _CHUNK):
        swept.records += await Submission.filter(lookup__in=gone[start : start + _CHUNK]).delete()
    return swept
