"""The keystore: per-pledge keys, the server's gate shares and peppers, apart from the database.

``Keystore`` is the interface the rest of the code uses; ``Keystore.open(path)`` opens the
embedded backend below, one SQLite file (``FileKeystore``). A deployment with several app hosts
uses the PostgreSQL backend instead (``organise.keystore.shared``, with its entries wrapped per
epoch by ``crypto.epochwrap``); nothing above the keystore knows which one it holds.

Why a separate store: the main database holds envelopes, and it is backed up, replicated and
possibly subpoenaed. The keys that open those envelopes live here instead, in their own SQLite
file that must be kept OUT of database backups. Deleting a key here (withdrawal, expiry) then
makes the matching envelope unreadable for good, even in every old copy of the main database.

Why these SQLite settings:

- The file is created with mode 0600 (and its directory 0700) *before* SQLite opens it, so it is
  never readable by other users, not even for a moment. SQLite gives its ``-wal`` and ``-shm``
  files the same permissions as the database.
- ``secure_delete=ON`` overwrites deleted content with zeros instead of leaving it in free pages.
- ``journal_mode=WAL`` with ``synchronous=FULL``: durable writes, readers never block writers.
  Old versions of a page linger in the WAL until a checkpoint, so every delete ends with a
  ``wal_checkpoint(TRUNCATE)`` (``checkpoint()``), which copies the zeroed pages into the
  database and empties the WAL.
- A busy timeout, because several server processes may share the file.

What is out of reach of any application: copies the file system, an SSD's wear levelling or a
snapshot may keep of old blocks. Put the keystore on an encrypted volume, and keep it out of
snapshots if you can.

Thread-safe: one connection guarded by a lock, usable from worker threads of an asyncio app.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import TracebackType

from crypto.errors import KeystoreError

BUSY_TIMEOUT_SECONDS = 30.0
_CHUNK = 500  # names per IN (...) query; well under SQLite's variable limit
_FILE_MODE = 0o600
_DIR_MODE = 0o700


def _chunks(names: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for name in names:
        chunk.append(_check_name(name))
        if len(chunk) == _CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _check_name(name: str) -> str:
    if not isinstance(name, str) or not name:
        raise KeystoreError("A keystore name must be a non-empty string.")
    return name


def _create_private_file(path: Path) -> None:
    """Create ``path`` (and missing parents) readable by its owner only, before SQLite opens it."""
    if not path.parent.exists():
        path.parent.mkdir(mode=_DIR_MODE, parents=True, exist_ok=True)
        os.chmod(path.parent, _DIR_MODE)  # mkdir's mode is filtered by the umask
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _FILE_MODE)
    except FileExistsError:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeystoreError(
                f"The keystore file {path} is accessible to other users or its group "
                f"(mode {mode:o}); run chmod 600 on it."
            ) from None
        return
    try:
        os.fchmod(fd, _FILE_MODE)  # in case the umask removed bits we asked for (it cannot add)
    finally:
        os.close(fd)


class Keystore(ABC):
    """A small key-value store of secrets: ``name`` (text) to ``value`` (bytes).

    Values are never silently overwritten: ``put`` refuses an existing name. Every method is
    blocking (call it from a worker thread in async code) and thread-safe.
    """

    @classmethod
    def open(cls, path: str | os.PathLike[str]) -> Keystore:
        """Open (creating if needed) the keystore file at ``path``."""
        return FileKeystore.open_file(path)

    def __enter__(self) -> Keystore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    @abstractmethod
    def close(self) -> None: ...

    def put(self, name: str, value: bytes) -> None:
        """Store a new key; raise KeystoreError if ``name`` already exists."""
        self.put_many({name: value})

    @abstractmethod
    def put_many(self, items: Mapping[str, bytes]) -> None:
        """Store several new keys in one transaction: all or none."""

    @abstractmethod
    def get_or_create(self, name: str, factory: Callable[[], bytes]) -> bytes:
        """Return the key ``name``, creating it with ``factory()`` if absent (safe across
        processes: everyone gets the one stored value)."""

    @abstractmethod
    def get(self, name: str) -> bytes | None:
        """The value stored under ``name``, or None."""

    @abstractmethod
    def get_many(self, names: Iterable[str]) -> dict[str, bytes]:
        """Values for those ``names`` that exist (missing names are simply absent)."""

    @abstractmethod
    def names(self, prefix: str = "") -> list[str]:
        """Names stored under ``prefix`` (useful for audits and tests; never returns values)."""

    @abstractmethod
    def has_prefix(self, prefix: str) -> bool:
        """Whether any name starts with ``prefix``."""

    def delete(self, name: str) -> bool:
        """Delete one key for good; True if it existed."""
        return self.delete_many([name]) == 1

    @abstractmethod
    def delete_many(self, names: Iterable[str]) -> int:
        """Delete several keys in one transaction; returns how many existed."""

    @abstractmethod
    def delete_prefix(self, prefix: str) -> int:
        """Delete every key whose name starts with ``prefix`` (literally; never empty)."""

    @abstractmethod
    def checkpoint(self) -> bool:
        """Make deletions final in the backend's own files; True when nothing is left to do."""


class FileKeystore(Keystore):
    """The embedded keystore: one SQLite file. Use ``Keystore.open(path)``; the constructor
    takes an already configured connection."""

    def __init__(self, connection: sqlite3.Connection, path: Path) -> None:
        self._db = connection
        self._lock = threading.Lock()
        self.path = path

    @classmethod
    def open_file(cls, path: str | os.PathLike[str]) -> FileKeystore:
        """Open (creating if needed) the keystore file at ``path``."""
        file_path = Path(path)
        _create_private_file(file_path)
        # isolation_level=None: we issue BEGIN IMMEDIATE / COMMIT ourselves.
        connection = sqlite3.connect(
            file_path,
            timeout=BUSY_TIMEOUT_SECONDS,
            isolation_level=None,
            check_same_thread=False,
        )
        try:
            connection.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_SECONDS * 1000)}")
            connection.execute("PRAGMA secure_delete = ON")
            mode = connection.execute("PRAGMA journal_mode = WAL").fetchone()[0]
            if str(mode).lower() != "wal":
                raise KeystoreError(f"The keystore could not switch to WAL mode (got {mode}).")
            connection.execute("PRAGMA synchronous = FULL")
            connection.execute(
                "CREATE TABLE IF NOT EXISTS keystore ("
                " name TEXT PRIMARY KEY NOT NULL,"
                " value BLOB NOT NULL"
                ") WITHOUT ROWID"
            )
        except BaseException:
            connection.close()
            raise
        return cls(connection, file_path)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- writing ---------------------------------------------------------------------------

    def _write(self, work: Callable[[sqlite3.Connection], int]) -> int:
        """Run ``work`` in one IMMEDIATE transaction (rolled back on any error)."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    def put_many(self, items: Mapping[str, bytes]) -> None:
        rows = [(_check_name(name), bytes(value)) for name, value in items.items()]

        def work(db: sqlite3.Connection) -> int:
            try:
                db.executemany("INSERT INTO keystore (name, value) VALUES (?, ?)", rows)
            except sqlite3.IntegrityError:
                raise KeystoreError(
                    "A key with one of these names already exists; keys are never overwritten."
                ) from None
            return len(rows)

        self._write(work)

    def get_or_create(self, name: str, factory: Callable[[], bytes]) -> bytes:
        """Return the key ``name``, creating it with ``factory()`` if absent.

        Safe across processes: the insert is ignored if another process got there first, and
        everyone then reads the one stored value.
        """
        _check_name(name)
        existing = self.get(name)
        if existing is not None:
            return existing
        candidate = bytes(factory())

        def work(db: sqlite3.Connection) -> int:
            db.execute(
                "INSERT OR IGNORE INTO keystore (name, value) VALUES (?, ?)", (name, candidate)
            )
            return 0

        self._write(work)
        stored = self.get(name)
        if stored is None:  # deleted by someone else in between; do not hand out a ghost key
            raise KeystoreError(f"The key {name!r} was deleted while being created.")
        return stored

    # -- reading ---------------------------------------------------------------------------

    def get(self, name: str) -> bytes | None:
        """The value stored under ``name``, or None."""
        _check_name(name)
        with self._lock:
            row = self._db.execute("SELECT value FROM keystore WHERE name = ?", (name,)).fetchone()
        return None if row is None else bytes(row[0])

    def get_many(self, names: Iterable[str]) -> dict[str, bytes]:
        """Values for those ``names`` that exist (missing names are simply absent)."""
        found: dict[str, bytes] = {}
        with self._lock:
            for chunk in _chunks(names):
                placeholders = ",".join("?" * len(chunk))
                rows = self._db.execute(
                    f"SELECT name, value FROM keystore WHERE name IN ({placeholders})",  # noqa: S608 -- only placeholders are interpolated
                    chunk,
                )
                found.update((name, bytes(value)) for name, value in rows)
        return found

    def names(self, prefix: str = "") -> list[str]:
        """Names stored under ``prefix`` (useful for audits and tests; never returns values)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT name FROM keystore WHERE substr(name, 1, ?) = ? ORDER BY name",
                (len(prefix), prefix),
            ).fetchall()
        return [row[0] for row in rows]

    def has_prefix(self, prefix: str) -> bool:
        """Whether any name starts with ``prefix`` (one index lookup, whatever the number)."""
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM keystore WHERE name >= ? AND substr(name, 1, ?) = ? LIMIT 1",
                (prefix, len(prefix), prefix),
            ).fetchone()
        return row is not None

    # -- deleting --------------------------------------------------------------------------

    def delete_many(self, names: Iterable[str]) -> int:
        """Delete several keys in one transaction; returns how many existed."""
        chunks = list(_chunks(names))

        def work(db: sqlite3.Connection) -> int:
            deleted = 0
            for chunk in chunks:
                placeholders = ",".join("?" * len(chunk))
                cursor = db.execute(
                    f"DELETE FROM keystore WHERE name IN ({placeholders})",  # noqa: S608 -- only placeholders are interpolated
                    chunk,
                )
                deleted += cursor.rowcount
            return deleted

        deleted = self._write(work) if chunks else 0
        if deleted:
            self.checkpoint()
        return deleted

    def delete_prefix(self, prefix: str) -> int:
        """Delete every key whose name starts with ``prefix`` (e.g. all keys of one campaign).

        Compares the prefix literally (no LIKE wildcards, case-sensitive). An empty prefix is
        refused: wiping the whole keystore must never be an accident.
        """
        if not isinstance(prefix, str) or not prefix:
            raise KeystoreError("delete_prefix needs a non-empty prefix.")

        def work(db: sqlite3.Connection) -> int:
            # ``name >= prefix`` lets SQLite start at the prefix in the primary-key index.
            cursor = db.execute(
                "DELETE FROM keystore WHERE name >= ? AND substr(name, 1, ?) = ?",
                (prefix, len(prefix), prefix),
            )
            return cursor.rowcount

        deleted = self._write(work)
        if deleted:
            self.checkpoint()
        return deleted

    def checkpoint(self) -> bool:
        """Copy the WAL into the database and truncate it, so deleted keys leave no old copies.

        Returns False if another connection's open read kept the checkpoint from completing;
        the next checkpoint (after any later delete) finishes the job.
        """
        busy: int
        with self._lock:
            busy, _, _ = self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return busy == 0
