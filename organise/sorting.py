"""Sorting more opened records than should be held in memory at once: sealed sorted runs.

A campaign's reveal sorts its records (`campaigns.release.sort_key`), and a survey's release
shuffles its text answers (sorting them on a random key), without ever holding them all: every
`RUN_RECORDS` opened records are sorted and written to an anonymous temporary file as a run,
in blocks of `BLOCK_RECORDS` records, each block encrypted (`crypto.atrest`) under a key that
exists only in this process's memory for the length of the reveal or release. The runs are
then merged, one block of each in memory at a time. Nothing readable ever reaches the disk: the
file is unlinked from the start, and once the key is dropped its blocks are noise, even to someone
who copied the disk meanwhile.
"""

from __future__ import annotations

import heapq
import json
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from typing import Any

from crypto import atrest

Values = tuple[Any, ...]

RUN_RECORDS = 10_000
BLOCK_RECORDS = 100
_LENGTH = struct.Struct(">I")


class SealedRuns:
    """Sorted runs of records, sealed in a temporary file; `merged()` reads them back in order.

    Use as a context manager: leaving it closes (and so deletes) the file and drops the key.
    """

    def __init__(self, key: Callable[[Values], Any], context: str) -> None:
        self._sort_key = key
        self._context = context
        self._key: bytes | None = atrest.new_field_key()
        self._file = tempfile.TemporaryFile(prefix="organise-sort-")  # noqa: SIM115
        self._runs: list[tuple[int, int]] = []  # (offset, blocks) of each run
        self._end = 0
        self._pending: list[Values] = []

    def __enter__(self) -> SealedRuns:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._pending = []
        self._key = None
        self._file.close()

    def add(self, records: list[Values]) -> None:
        """Take records, in any order; a run is written whenever RUN_RECORDS are waiting."""
        self._pending += records
        if len(self._pending) >= RUN_RECORDS:
            self._write_run()

    def _sealing_key(self) -> bytes:
        if self._key is None:
            raise RuntimeError("the runs were closed")
        return self._key

    def _write_run(self) -> None:
        run, self._pending = self._pending, []
        if not run:
            return
        run.sort(key=self._sort_key)
        key = self._sealing_key()
        start = self._end
        blocks = 0
        for first in range(0, len(run), BLOCK_RECORDS):
            plaintext = json.dumps(
                run[first : first + BLOCK_RECORDS], ensure_ascii=False, separators=(",", ":")
            ).encode("utf-8")
            sealed = atrest.encrypt_field(key, plaintext, context=self._context)
            data = _LENGTH.pack(len(sealed)) + sealed
            os.pwrite(self._file.fileno(), data, self._end)
            self._end += len(data)
            blocks += 1
        self._runs.append((start, blocks))

    def _read_run(self, offset: int, blocks: int) -> Iterator[Values]:
        for _ in range(blocks):
            (length,) = _LENGTH.unpack(os.pread(self._file.fileno(), _LENGTH.size, offset))
            sealed = os.pread(self._file.fileno(), length, offset + _LENGTH.size)
            offset += _LENGTH.size + length
            plaintext = atrest.decrypt_field(self._sealing_key(), sealed, context=self._context)
            block = [tuple(values) for values in json.loads(plaintext)]
            del plaintext
            yield from block

    def merged(self) -> Iterator[Values]:
        """Every record added, in order (call once, after the last `add`)."""
        if not self._runs:  # few enough to sort in memory: nothing goes to the file
            self._pending.sort(key=self._sort_key)
            return iter(self._pending)
        self._write_run()
        if len(self._runs) == 1:
            return self._read_run(*self._runs[0])
        return heapq.merge(*(self._read_run(*run) for run in self._runs), key=self._sort_key)
