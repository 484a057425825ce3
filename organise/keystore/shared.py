"""The keystore on PostgreSQL, for deployments with more than one app host.

The file keystore promises that a deleted key is gone, even from old backups, because the file
is kept out of backups and SQLite overwrites what it deletes. A shared PostgreSQL database cannot
make that promise row by row: dead rows stay until a vacuum, and the write-ahead log, replicas
and every backup keep them. So every value here is stored wrapped (``crypto.epochwrap``) under
the key-encryption key (KEK) of an epoch, and the KEK never reaches the database: each host
reads it from a file on tmpfs (``keks``). Rotating to a new epoch re-wraps every live entry and
then destroys the old KEK, and every copy of the database older than that holds only entries
nobody can unwrap. A deletion is therefore final for backups at the next rotation.

Tables (created on first open; docs/operating.md lists each field):

- ``keystore_entry``: name, the epoch it is wrapped under, the wrapped value.
- ``keystore_epoch``: each epoch, when it was named current, when its KEK was retired. The
  newest epoch is current: every write uses it, and a host without its KEK fails the write
  rather than write under an older one.
- ``keystore_host``: each process's last report of the epochs it holds; a report older than
  five minutes is a dead process, and blocks nothing.
- ``keystore_kek_check``: per epoch, an empty value sealed under its KEK by the first host that
  held it; a host counts as holding an epoch only if its KEK opens that.

The rest of the code calls this keystore from worker threads, as it does the file keystore, so
the interface is blocking: the asyncpg pool runs on an event loop of its own, in a thread that
this object owns.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeVar

try:
    import asyncpg
except ImportError:  # only this backend needs it: `pip install organise[postgres]`
    asyncpg = None

from crypto import epochwrap
from crypto.errors import KeystoreError
from crypto.keystore import Keystore
from organise.keystore.keks import KekRing

log = logging.getLogger("organise.keystore")

REPORT_TTL = timedelta(minutes=5)
# Reports of processes gone for a day are removed: a stopped host is not a host.
FORGET_HOSTS_AFTER = timedelta(days=1)
_REWRAP_BATCH = 500
_LOCK_ID = 0x6F726B73  # pg_advisory_xact_lock key for creating the tables ("orks")
_OVERDUE_LOG_EVERY = timedelta(hours=1)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS keystore_entry (
    name text COLLATE "C" PRIMARY KEY,
    epoch bigint NOT NULL,
    wrapped bytea NOT NULL
);
CREATE INDEX IF NOT EXISTS keystore_entry_epoch ON keystore_entry (epoch);
CREATE TABLE IF NOT EXISTS keystore_epoch (
    epoch bigint PRIMARY KEY,
    named_at timestamptz NOT NULL,
    retired_at timestamptz
);
CREATE TABLE IF NOT EXISTS keystore_host (
    host text PRIMARY KEY,
    epochs bigint[] NOT NULL,
    reported_at timestamptz NOT NULL
);
CREATE TABLE IF NOT EXISTS keystore_kek_check (
    epoch bigint PRIMARY KEY,
    sealed bytea NOT NULL
);
"""
# Each epoch's KEK seals an empty value under this name (no entry's name starts with NUL) the
# first time a host holds it: a host whose file of that epoch holds other bytes cannot open it,
# so it neither reports the epoch nor writes under it. Two hosts given different keys for one
# epoch would otherwise each write what the other cannot read, and a rotation would re-wrap
# everything under one of them and destroy the old key everywhere.
_KEK_CHECK = "\x00organise/kek-check"

T = TypeVar("T")


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise KeystoreError("A keystore name must be a non-empty string.")
    return name


def host_id() -> str:
    """This process: host name, process id and a random tag (several workers on one host
    report apart, and so do containers that share a host name and all run as process 1)."""
    return f"{socket.gethostname()}/{os.getpid()}/{secrets.token_hex(4)}"


@dataclass(frozen=True)
class HostReport:
    host: str
    epochs: tuple[int, ...]
    reported_at: datetime
    live: bool


@dataclass(frozen=True)
class EpochRow:
    epoch: int
    named_at: datetime
    retired_at: datetime | None
    entries: int


@dataclass(frozen=True)
class Status:
    """What `organise keystore status` shows and the overdue warning reads."""

    now: datetime
    epochs: tuple[EpochRow, ...]
    hosts: tuple[HostReport, ...]
    rotation_days: int
    held_here: tuple[int, ...]
    kek_dir_in_memory: bool

    @property
    def current(self) -> EpochRow | None:
        return self.epochs[-1] if self.epochs else None

    @property
    def retiring(self) -> tuple[EpochRow, ...]:
        current = self.current
        return tuple(
            row
            for row in self.epochs
            if row.retired_at is None and current is not None and row.epoch < current.epoch
        )

    @property
    def rotation_due(self) -> datetime | None:
        current = self.current
        return None if current is None else current.named_at + timedelta(days=self.rotation_days)

    @property
    def overdue(self) -> bool:
        due = self.rotation_due
        return due is not None and self.now >= due

    def lagging(self) -> list[str]:
        """Live hosts that have not moved to the current epoch (no report since it was named,
        or a report without its key)."""
        current = self.current
        if current is None:
            return []
        return [
            host.host
            for host in self.hosts
            if host.live
            and (host.reported_at < current.named_at or current.epoch not in host.epochs)
        ]


@dataclass
class Retirement:
    """What one attempt to finish a rotation did."""

    retired: list[int] = field(default_factory=list)
    rewrapped: int = 0
    waiting_for: list[str] = field(default_factory=list)


class SharedKeystore(Keystore):
    """``Keystore`` on PostgreSQL. Use ``SharedKeystore.connect``."""

    def __init__(
        self,
        url: str,
        ring: KekRing,
        *,
        rotation_days: int = 7,
        report_seconds: int = 60,
    ) -> None:
        self._url = url
        self.ring = ring
        self.rotation_days = rotation_days
        self.report_seconds = report_seconds
        self.host = host_id()
        self.created = False
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="organise-keystore", daemon=True
        )
        self._pool: asyncpg.Pool | None = None
        self._reporter: asyncio.Task[None] | None = None
        self._last_overdue_log: datetime | None = None
        self._overdue = False
        self._closed = False
        self._checked: set[int] = set()  # epochs whose KEK here opened the check

    @classmethod
    def connect(
        cls,
        url: str,
        ring: KekRing,
        *,
        rotation_days: int = 7,
        report_seconds: int = 60,
        report: bool = True,
    ) -> SharedKeystore:
        """Connect, create the tables if needed and name the first epoch on a new keystore.

        With ``report`` the process reports its epochs now and every ``report_seconds``.
        """
        keystore = cls(url, ring, rotation_days=rotation_days, report_seconds=report_seconds)
        keystore._thread.start()
        try:
            keystore._run(keystore._open())
            if report:
                keystore._run(keystore._report_once())
                keystore._reporter = keystore._run(keystore._start_reporting())
        except BaseException:
            keystore.close()
            raise
        return keystore

    # -- the event loop of our own ---------------------------------------------------------

    def _run(self, work: Coroutine[Any, Any, T]) -> T:
        if threading.current_thread() is self._thread:
            work.close()
            raise RuntimeError("the keystore's own thread cannot wait on itself")
        if self._closed:
            work.close()
            raise KeystoreError("The keystore is closed.")
        return asyncio.run_coroutine_threadsafe(work, self._loop).result()

    async def _open(self) -> None:
        if asyncpg is None:
            raise KeystoreError(
                "ORGANISE_KEYSTORE_URL needs the PostgreSQL driver: install organise[postgres]."
            )
        self._pool = await asyncpg.create_pool(self._url, min_size=1, max_size=8)
        async with self._pool.acquire() as db, db.transaction():
            await db.execute("SELECT pg_advisory_xact_lock($1)", _LOCK_ID)
            await db.execute(_SCHEMA)
            if await db.fetchval("SELECT count(*) FROM keystore_epoch") == 0:
                held = self.ring.held()
                if not held:
                    raise KeystoreError(
                        "The shared keystore is new and this host holds no key-encryption key: "
                        f"place epoch-1.kek in {self.ring.directory} first (docs/operating.md)."
                    )
                # A new keystore: checks left by one discarded before (`discard_all`) go too.
                await db.execute("DELETE FROM keystore_kek_check")
                await db.execute(
                    "INSERT INTO keystore_epoch (epoch, named_at) VALUES ($1, now())", held[0]
                )
                self.created = True

    async def _start_reporting(self) -> asyncio.Task[None]:
        return asyncio.get_running_loop().create_task(self._report_forever())

    async def _report_forever(self) -> None:
        while True:
            await asyncio.sleep(self.report_seconds)
            try:
                await self._report_once()
            except Exception as error:  # a lost connection must not end the reports
                log.error(
                    "keystore: reporting this host's epochs failed (%s)", type(error).__name__
                )

    def _db(self) -> asyncpg.Pool:
        if self._pool is None:
            raise KeystoreError("The keystore is not connected.")
        return self._pool

    def close(self) -> None:
        if self._closed:
            return

        async def shut() -> None:
            if self._reporter is not None:
                self._reporter.cancel()
            if self._pool is not None:
                # A process that stopped is no host: its report must not hold up a rotation.
                try:
                    await self._pool.execute("DELETE FROM keystore_host WHERE host = $1", self.host)
                except Exception as error:
                    log.error(
                        "keystore: could not withdraw this host's report (%s)", type(error).__name__
                    )
                await self._pool.close()

        if self._thread.is_alive():
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
        self._loop.close()
        self._closed = True

    # -- the KEKs' check ---------------------------------------------------------------------

    async def _same_kek(self, db: asyncpg.Connection, epoch: int) -> bool:
        """Whether this host's KEK of ``epoch`` is the one the other hosts hold: it opens the
        epoch's check, sealed by whichever host held the epoch first (this one, if none has)."""
        if epoch in self._checked:
            return True
        kek = self.ring.get(epoch)
        if kek is None:
            return False
        await db.execute(
            "INSERT INTO keystore_kek_check (epoch, sealed) VALUES ($1, $2) "
            "ON CONFLICT (epoch) DO NOTHING",
            epoch,
            epochwrap.wrap(kek, epoch, _KEK_CHECK, b""),
        )
        sealed = await db.fetchval("SELECT sealed FROM keystore_kek_check WHERE epoch = $1", epoch)
        try:
            epochwrap.unwrap(kek, epoch, _KEK_CHECK, bytes(sealed))
        except KeystoreError:
            log.error(
                "keystore: this host's key-encryption key of epoch %d is not the one the other "
                "hosts hold: it is not reported, and nothing is written under it",
                epoch,
            )
            return False
        self._checked.add(epoch)
        return True

    async def _held_alike(self, db: asyncpg.Connection) -> list[int]:
        """The epochs this host holds the same KEK of as every other host."""
        return [epoch for epoch in self.ring.held() if await self._same_kek(db, epoch)]

    async def _require_alike(self, db: asyncpg.Connection, epoch: int) -> bytes:
        kek = self.ring.require(epoch)
        if not await self._same_kek(db, epoch):
            raise KeystoreError(
                f"This host's key-encryption key of epoch {epoch} ({self.ring.path(epoch)}) is "
                "not the one the other hosts hold: the host is misconfigured. Have the secret "
                "manager place the same key on every host."
            )
        return kek

    # -- writing ---------------------------------------------------------------------------

    async def _writing_epoch(self, db: asyncpg.Connection) -> tuple[int, bytes]:
        """The epoch the database names current, share-locked until the transaction ends (a
        rotation's final pass waits for it), and this host's KEK of it, or a loud failure."""
        epoch = await db.fetchval(
            "SELECT epoch FROM keystore_epoch WHERE retired_at IS NULL "
            "ORDER BY epoch DESC LIMIT 1 FOR SHARE"
        )
        if epoch is None:
            raise KeystoreError("The shared keystore names no current epoch.")
        try:
            return epoch, await self._require_alike(db, epoch)
        except KeystoreError as error:
            log.error("keystore: refusing to write: %s", error)
            raise

    def put_many(self, items: Mapping[str, bytes]) -> None:
        values = {_check_name(name): bytes(value) for name, value in items.items()}

        async def work() -> None:
            async with self._db().acquire() as db, db.transaction():
                epoch, kek = await self._writing_epoch(db)
                rows = [
                    (name, epoch, epochwrap.wrap(kek, epoch, name, value))
                    for name, value in values.items()
                ]
                try:
                    await db.executemany(
                        "INSERT INTO keystore_entry (name, epoch, wrapped) VALUES ($1, $2, $3)",
                        rows,
                    )
                except asyncpg.UniqueViolationError:
                    raise KeystoreError(
                        "A key with one of these names already exists; keys are never overwritten."
                    ) from None

        if values:
            self._run(work())

    def get_or_create(self, name: str, factory: Callable[[], bytes]) -> bytes:
        _check_name(name)
        existing = self.get(name)
        if existing is not None:
            return existing
        candidate = bytes(factory())

        async def work() -> None:
            async with self._db().acquire() as db, db.transaction():
                epoch, kek = await self._writing_epoch(db)
                await db.execute(
                    "INSERT INTO keystore_entry (name, epoch, wrapped) VALUES ($1, $2, $3) "
                    "ON CONFLICT (name) DO NOTHING",
                    name,
                    epoch,
                    epochwrap.wrap(kek, epoch, name, candidate),
                )

        self._run(work())
        stored = self.get(name)
        if stored is None:  # deleted by someone else in between; do not hand out a ghost key
            raise KeystoreError(f"The key {name!r} was deleted while being created.")
        return stored

    # -- reading ---------------------------------------------------------------------------

    def _unwrap(self, name: str, epoch: int, wrapped: bytes) -> bytes:
        return epochwrap.unwrap(self.ring.require(epoch), epoch, name, wrapped)

    def get(self, name: str) -> bytes | None:
        return self.get_many([name]).get(name)

    def get_many(self, names: Iterable[str]) -> dict[str, bytes]:
        wanted = sorted({_check_name(name) for name in names})
        if not wanted:
            return {}

        async def work() -> list[asyncpg.Record]:
            return await self._db().fetch(
                "SELECT name, epoch, wrapped FROM keystore_entry WHERE name = ANY($1::text[])",
                wanted,
            )

        rows = self._run(work())
        return {
            row["name"]: self._unwrap(row["name"], row["epoch"], row["wrapped"]) for row in rows
        }

    def names(self, prefix: str = "") -> list[str]:
        async def work() -> list[asyncpg.Record]:
            return await self._db().fetch(
                "SELECT name FROM keystore_entry WHERE left(name, char_length($1)) = $1 "
                "ORDER BY name",
                prefix,
            )

        return [row["name"] for row in self._run(work())]

    def has_prefix(self, prefix: str) -> bool:
        async def work() -> bool:
            # ``name >= prefix`` lets the "C"-collated primary key start at the prefix.
            found = await self._db().fetchval(
                "SELECT 1 FROM keystore_entry WHERE name >= $1 "
                "AND left(name, char_length($1)) = $1 LIMIT 1",
                prefix,
            )
            return found is not None

        return self._run(work())

    # -- deleting --------------------------------------------------------------------------

    def delete_many(self, names: Iterable[str]) -> int:
        doomed = sorted({_check_name(name) for name in names})
        if not doomed:
            return 0

        async def work() -> int:
            status = await self._db().execute(
                "DELETE FROM keystore_entry WHERE name = ANY($1::text[])", doomed
            )
            return int(status.split()[-1])

        return self._run(work())

    def delete_prefix(self, prefix: str) -> int:
        if not isinstance(prefix, str) or not prefix:
            raise KeystoreError("delete_prefix needs a non-empty prefix.")

        async def work() -> int:
            status = await self._db().execute(
                "DELETE FROM keystore_entry WHERE name >= $1 AND left(name, char_length($1)) = $1",
                prefix,
            )
            return int(status.split()[-1])

        return self._run(work())

    def checkpoint(self) -> bool:
        """Nothing to do here: a deleted row may linger in PostgreSQL's files until a vacuum,
        and in its WAL and backups for good; what makes it unreadable is the next rotation."""
        return True

    # -- epochs, hosts and rotation --------------------------------------------------------

    async def _report_once(self) -> None:
        async with self._db().acquire() as db:
            held = await self._held_alike(db)
            # Every time is the database's: hosts' clocks may disagree, the database has one.
            now = await db.fetchval(
                "INSERT INTO keystore_host (host, epochs, reported_at) VALUES ($1, $2, now()) "
                "ON CONFLICT (host) DO UPDATE SET epochs = $2, reported_at = now() "
                "RETURNING reported_at",
                self.host,
                held,
            )
            await db.execute(
                "DELETE FROM keystore_host WHERE reported_at < $1", now - FORGET_HOSTS_AFTER
            )
            retired = await db.fetch(
                "SELECT epoch FROM keystore_epoch WHERE retired_at IS NOT NULL"
            )
        for row in retired:
            if row["epoch"] in held:
                self.ring.destroy(row["epoch"])
                log.warning(
                    "keystore: destroyed the retired key-encryption key of epoch %d", row["epoch"]
                )
        status = await self._status(count_entries=False)
        self._overdue = status.overdue
        if status.overdue and (
            self._last_overdue_log is None or now - self._last_overdue_log >= _OVERDUE_LOG_EVERY
        ):
            self._last_overdue_log = now
            log.warning(
                "KEYSTORE ROTATION OVERDUE: epoch %d has been current since %s (rotate every "
                "%d days). Until it rotates, deleted keys stay readable in backups of the "
                "keystore database. Place the next epoch's key on every host and run "
                "`organise keystore rotate`.",
                status.current.epoch if status.current else 0,
                status.current.named_at.date().isoformat() if status.current else "?",
                self.rotation_days,
            )
        if status.retiring and not status.lagging():
            await self._finish(status)

    def report(self) -> None:
        """Report this process's epochs now (and destroy the KEKs of retired epochs)."""
        self._run(self._report_once())

    @property
    def rotation_overdue(self) -> bool:
        """As of this process's last report (no database round trip: the home page asks)."""
        return self._overdue

    async def _status(self, *, count_entries: bool = True) -> Status:
        """Epochs and host reports; ``count_entries`` counts the entries under each epoch (an
        index scan of the whole table: for `status`, not for every minute's report)."""
        entries = (
            "(SELECT count(*) FROM keystore_entry k WHERE k.epoch = e.epoch)"
            if count_entries
            else "-1"
        )
        async with self._db().acquire() as db:
            now = await db.fetchval("SELECT now()")
            epochs = await db.fetch(
                f"SELECT e.epoch, e.named_at, e.retired_at, {entries} AS entries "  # noqa: S608 -- one of two constant texts
                "FROM keystore_epoch e ORDER BY e.epoch"
            )
            hosts = await db.fetch(
                "SELECT host, epochs, reported_at FROM keystore_host ORDER BY host"
            )
        return Status(
            now=now,
            epochs=tuple(
                EpochRow(row["epoch"], row["named_at"], row["retired_at"], row["entries"])
                for row in epochs
            ),
            hosts=tuple(
                HostReport(
                    row["host"],
                    tuple(row["epochs"]),
                    row["reported_at"],
                    live=now - row["reported_at"] < REPORT_TTL,
                )
                for row in hosts
            ),
            rotation_days=self.rotation_days,
            held_here=tuple(self.ring.held()),
            kek_dir_in_memory=self.ring.in_memory,
        )

    def status(self) -> Status:
        return self._run(self._status())

    def name_current(self, epoch: int) -> None:
        """Name ``epoch`` current (`organise keystore rotate`): every write from now on uses it.

        Refused unless it is newer than every epoch so far, this host holds its KEK, and every
        live host has reported holding the same KEK (a host without it would fail every write;
        a host with other bytes for it would write what no other host can read).
        """
        epochwrap.check_epoch(epoch)
        self.ring.require(epoch)
        self._run(self._report_once())

        async def work() -> None:
            async with self._db().acquire() as db, db.transaction():
                await db.execute("LOCK TABLE keystore_epoch IN EXCLUSIVE MODE")
                await self._require_alike(db, epoch)
                newest = await db.fetchval("SELECT max(epoch) FROM keystore_epoch")
                if newest is not None and epoch <= newest:
                    raise KeystoreError(
                        f"Epoch {epoch} is not newer than the current epoch {newest}."
                    )
                lacking = [
                    row["host"]
                    for row in await db.fetch(
                        "SELECT host FROM keystore_host WHERE reported_at > now() - $1::interval "
                        "AND NOT ($2 = ANY(epochs)) ORDER BY host",
                        REPORT_TTL,
                        epoch,
                    )
                ]
                if lacking:
                    raise KeystoreError(
                        f"These live hosts do not hold the key of epoch {epoch} yet, or hold "
                        f"other bytes for it: {', '.join(lacking)}. Place the same key on "
                        f"them; each reports within "
                        f"{self.report_seconds} seconds. Nothing was changed."
                    )
                await db.execute(
                    "INSERT INTO keystore_epoch (epoch, named_at) VALUES ($1, now())", epoch
                )

        self._run(work())
        log.warning("keystore: epoch %d is now current", epoch)

    async def _rewrap_pass(self, db: asyncpg.Connection, old: int, new: int) -> int:
        """Re-wrap up to one batch of entries from ``old`` to ``new``. Each UPDATE says
        ``WHERE epoch = old``: an entry deleted meanwhile stays deleted."""
        old_kek = await self._require_alike(db, old)
        new_kek = await self._require_alike(db, new)
        rows = await db.fetch(
            "SELECT name, wrapped FROM keystore_entry WHERE epoch = $1 LIMIT $2",
            old,
            _REWRAP_BATCH,
        )
        if not rows:
            return 0
        await db.executemany(
            "UPDATE keystore_entry SET epoch = $2, wrapped = $3 WHERE name = $4 AND epoch = $1",
            [
                (
                    old,
                    new,
                    epochwrap.rewrap(old_kek, old, new_kek, new, r["name"], r["wrapped"]),
                    r["name"],
                )
                for r in rows
            ],
        )
        return len(rows)

    async def _finish(self, status: Status) -> Retirement:
        done = Retirement(waiting_for=status.lagging())
        current = status.current
        if current is None or done.waiting_for:
            return done
        for row in status.retiring:
            if self.ring.get(row.epoch) is None:
                done.waiting_for.append(f"{self.host} (lacks the key of epoch {row.epoch})")
                continue
            async with self._db().acquire() as db:
                while True:
                    async with db.transaction():
                        moved = await self._rewrap_pass(db, row.epoch, current.epoch)
                    done.rewrapped += moved
                    if moved < _REWRAP_BATCH:
                        break
                async with db.transaction():
                    # Waits for every write still holding this epoch as its current one.
                    await db.execute(
                        "SELECT 1 FROM keystore_epoch WHERE epoch = $1 FOR UPDATE", row.epoch
                    )
                    while moved := await self._rewrap_pass(db, row.epoch, current.epoch):
                        done.rewrapped += moved
                    left = await db.fetchval(
                        "SELECT count(*) FROM keystore_entry WHERE epoch = $1", row.epoch
                    )
                    if left:
                        raise KeystoreError(f"Entries remain under epoch {row.epoch}.")
                    await db.execute(
                        "UPDATE keystore_epoch SET retired_at = now()"
                        " WHERE epoch = $1 AND retired_at IS NULL",
                        row.epoch,
                    )
            self.ring.destroy(row.epoch)
            done.retired.append(row.epoch)
            log.warning(
                "keystore: epoch %d retired; its key-encryption key is destroyed on this host",
                row.epoch,
            )
        return done

    def finish_rotation(self) -> Retirement:
        """Re-wrap what is left under older epochs and retire them, if every live host has
        moved to the current epoch; otherwise say which hosts it waits for."""

        async def work() -> Retirement:
            await self._report_once_without_finishing()
            return await self._finish(await self._status(count_entries=False))

        return self._run(work())

    async def _report_once_without_finishing(self) -> None:
        async with self._db().acquire() as db:
            await db.execute(
                "INSERT INTO keystore_host (host, epochs, reported_at) VALUES ($1, $2, now()) "
                "ON CONFLICT (host) DO UPDATE SET epochs = $2, reported_at = now()",
                self.host,
                await self._held_alike(db),
            )

    def discard_all(self) -> None:
        """Remove every entry and epoch: only for a keystore this very start created."""

        async def work() -> None:
            async with self._db().acquire() as db, db.transaction():
                await db.execute("DELETE FROM keystore_entry")
                await db.execute("DELETE FROM keystore_epoch")
                await db.execute("DELETE FROM keystore_host")
                await db.execute("DELETE FROM keystore_kek_check")

        self._run(work())
