"""Each epoch's key-encryption key (KEK), read from the directory the secret manager fills.

The KEK must never be where a copy of it outlives the epoch: not in the database (its backups
would hold it beside the entries it opens), not in an environment variable (inherited by every
child process, readable in /proc/PID/environ, kept by config management and crash reports), not
in a file on disk (snapshots and host backups keep it). The secret manager writes it to a file
on a memory-backed file system (tmpfs), one file per epoch, and removes it when the epoch ends;
this process reads it from there and forgets it when the file is gone.

A file is named ``epoch-<N>.kek`` and holds the 32-byte key as 64 hexadecimal characters (a
final line break is allowed). It must belong to this process's user and be readable by nobody
else (mode 0400 or 0600): anything else is refused. A directory that is not on tmpfs or ramfs is
a loud warning in the log and in `organise keystore status`, not a refusal: the operator may have
an equivalent (an encrypted swapless RAM disk) we cannot recognise.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import string
import threading
from pathlib import Path

from crypto.epochwrap import KEK_BYTES, check_epoch
from crypto.errors import KeystoreError

log = logging.getLogger("organise.keystore")

_FILE = re.compile(r"epoch-([1-9][0-9]{0,17})\.kek")
MEMORY_FILE_SYSTEMS = frozenset({"tmpfs", "ramfs"})


def kek_file_name(epoch: int) -> str:
    return f"epoch-{check_epoch(epoch)}.kek"


def file_system_type(path: Path) -> str | None:
    """The type of the file system holding ``path`` (from /proc/self/mountinfo), or None."""
    try:
        lines = Path("/proc/self/mountinfo").read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    target = str(path.resolve())
    best: tuple[int, str] | None = None
    for line in lines:
        fields = line.split(" ")
        try:
            separator = fields.index("-")
        except ValueError:
            continue
        mount_point = fields[4].replace("\\040", " ")
        inside = target == mount_point or target.startswith(mount_point.rstrip("/") + "/")
        if inside and (best is None or len(mount_point) >= best[0]):
            best = (len(mount_point), fields[separator + 1])
    return None if best is None else best[1]


def parse_kek(text: str, path: Path) -> bytes:
    body = text[:-1] if text.endswith("\n") else text
    if len(body) != 2 * KEK_BYTES or not all(c in string.hexdigits for c in body):
        raise KeystoreError(
            f"The key-encryption key file {path} must hold {KEK_BYTES} bytes as "
            f"{2 * KEK_BYTES} hexadecimal characters."
        )
    return bytes.fromhex(body)


def _read_private(path: Path) -> bytes:
    # A symbolic link is followed (secret volumes are made of them); what it leads to is checked.
    fd = os.open(path, os.O_RDONLY)
    try:
        info = os.fstat(fd)
        mode = stat.S_IMODE(info.st_mode)
        if not stat.S_ISREG(info.st_mode):
            raise KeystoreError(f"The key-encryption key {path} is not a regular file.")
        if info.st_uid != os.geteuid() or mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise KeystoreError(
                f"The key-encryption key file {path} must belong to this user and be readable "
                f"by nobody else (mode {mode:o}); run chmod 400 on it."
            )
        with os.fdopen(fd, "r", encoding="ascii", closefd=False) as handle:
            return parse_kek(handle.read(4 * KEK_BYTES), path)
    except UnicodeDecodeError:
        raise KeystoreError(f"The key-encryption key file {path} is not text.") from None
    finally:
        os.close(fd)


class KekMissing(KeystoreError):
    """This host lacks the KEK of an epoch the keystore database uses: it is misconfigured.

    Answered 503 by the web layer (organise/web/errors.py): nothing was written.
    """


class KekRing:
    """The KEKs this process holds, by epoch. Thread-safe.

    A key is read on first use and kept in memory until its file disappears (``rescan``), so a
    key placed by the secret manager is found without a restart, and one removed is forgotten.
    Python cannot wipe the bytes it drops; they are freed, not overwritten (docs/operating.md).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._keys: dict[int, bytes] = {}
        # Retired epochs: never read again, even if their file could not be removed.
        self._destroyed: set[int] = set()
        self._lock = threading.Lock()
        if not directory.is_dir():
            raise KeystoreError(
                f"ORGANISE_KEYSTORE_KEK_DIR {directory} is not a directory: the secret manager "
                "must create it (on tmpfs) and place each epoch's key-encryption key in it."
            )
        self.file_system = file_system_type(directory)
        if self.file_system not in MEMORY_FILE_SYSTEMS:
            log.error(
                "KEY-ENCRYPTION KEYS ARE NOT ON A MEMORY FILE SYSTEM: %s is on %s. Snapshots "
                "and host backups may keep each epoch's key, and with it every deleted key "
                "in old backups. Mount a tmpfs there (docs/operating.md).",
                directory,
                self.file_system or "an unknown file system",
            )

    @property
    def in_memory(self) -> bool:
        return self.file_system in MEMORY_FILE_SYSTEMS

    def path(self, epoch: int) -> Path:
        return self.directory / kek_file_name(epoch)

    def get(self, epoch: int) -> bytes | None:
        """The KEK of ``epoch``, or None when this host does not have it."""
        with self._lock:
            if epoch in self._destroyed:
                return None
            key = self._keys.get(epoch)
            if key is not None:
                return key
            try:
                key = _read_private(self.path(epoch))
            except FileNotFoundError:
                return None
            self._keys[epoch] = key
            return key

    def require(self, epoch: int) -> bytes:
        key = self.get(epoch)
        if key is None:
            raise KekMissing(
                f"This host lacks the key-encryption key of epoch {epoch} "
                f"({self.path(epoch)}), which the keystore database names. The host is "
                "misconfigured: have the secret manager place that key here."
            )
        return key

    def held(self) -> list[int]:
        """The epochs whose KEK file is present and readable now (forgetting the others)."""
        present: list[int] = []
        for entry in sorted(os.listdir(self.directory)):
            match = _FILE.fullmatch(entry)
            if match is None:
                continue
            epoch = int(match.group(1))
            if epoch in self._destroyed:
                continue
            try:
                if self.get(epoch) is not None:
                    present.append(epoch)
            except KeystoreError as error:
                log.error("%s", error)
        with self._lock:
            for gone in set(self._keys) - set(present):
                del self._keys[gone]
        return sorted(present)

    def destroy(self, epoch: int) -> bool:
        """Forget the KEK of ``epoch`` and remove its file (zeroed first); True if it was here."""
        path = self.path(epoch)
        with self._lock:
            self._keys.pop(epoch, None)
            self._destroyed.add(epoch)
        if not path.exists():
            return False
        try:
            size = path.stat().st_size
            with path.open("r+b") as handle:  # on tmpfs this overwrites the only copy
                handle.write(b"\0" * size)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError:
            pass  # a read-only file (mode 0400) cannot be zeroed, but can still be removed
        try:
            path.unlink(missing_ok=True)
        except OSError as error:
            log.error(
                "keystore: could not remove the retired key-encryption key %s (%s): this "
                "process no longer uses it, but the secret manager must remove the file",
                path,
                error.strerror,
            )
        return True
