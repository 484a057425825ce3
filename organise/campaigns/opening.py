"""Opening pledge envelopes in bulk: in a pool of worker processes when there is more than one
core, in one worker thread otherwise.

The reveal (`reveal`) and its benchmark's baseline (`bench/reveal.py`) open envelopes through
the same `Opener`, so the benchmark's ratio measures the reveal's own work, not the cores.

Worker processes are started fresh (`spawn`, never a fork of a server holding connections and
threads) and import this module only: the standard library and `crypto`. Each receives the
campaign's private key once, when it starts, and holds it until the pool is shut down at the
end of the reveal; it is never written anywhere. Opened records come back to the caller as
tuples of `RECORD_FIELDS`; a worker keeps nothing after answering.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
from collections.abc import Sequence
from types import TracebackType
from typing import Any

import anyio
import nacl.public

from crypto.envelope import open_pledge
from crypto.errors import EnvelopeError

RECORD_FIELDS = ("name", "contact", "team", "message", "personal_threshold", "list_publicly")

# A revealed record as the reveal holds it: the values of RECORD_FIELDS, in that order.
Values = tuple[Any, ...]
# One envelope to open: pledge id, envelope, pledge key (None: missing), personal threshold.
Job = tuple[str, bytes | None, bytes | None, int]
# What a chunk of jobs gives: the opened records, and the ids of those that could not be opened.
Outcome = tuple[list[Values], list[str]]

# The campaign a worker process opens for (set once by `_start_worker`).
_worker: tuple[nacl.public.PrivateKey, str] | None = None


def cores() -> int:
    """The cores this process may run on."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13
    if counted is not None:
        return int(counted() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def open_chunk(
    jobs: Sequence[Job], private_key: nacl.public.PrivateKey, campaign_id: str
) -> Outcome:
    """Open each envelope of `jobs` with its pledge key and the campaign key."""
    opened: list[Values] = []
    unopened: list[str] = []
    for pledge_id, envelope, key, personal in jobs:
        if key is None or envelope is None:
            unopened.append(pledge_id)  # withdrawn at the last moment, or never committed
            continue
        try:
            record = open_pledge(
                envelope,
                pledge_key=key,
                campaign_private_key=private_key,
                campaign_id=campaign_id,
                pledge_id=pledge_id,
            )
        except EnvelopeError:
            unopened.append(pledge_id)
            continue
        record["personal_threshold"] = personal
        # The released fields only: far smaller than the decoded dict.
        opened.append(tuple([record.get(name) for name in RECORD_FIELDS]))
    return opened, unopened


def _start_worker(private_key: bytes, campaign_id: str) -> None:
    global _worker
    _worker = (nacl.public.PrivateKey(private_key), campaign_id)


def _open_in_worker(jobs: Sequence[Job]) -> Outcome:
    if _worker is None:
        raise RuntimeError("the worker was started without a campaign key")
    return open_chunk(jobs, *_worker)


class Opener:
    """Opens chunks of envelopes of one campaign; use as `async with Opener(...) as opener`.

    `workers` processes (default: one per core); with one core, or `workers=1`, one thread of
    this process does the work and no process is started.
    """

    def __init__(
        self, private_key: nacl.public.PrivateKey, campaign_id: str, workers: int | None = None
    ) -> None:
        self.workers = cores() if workers is None else workers
        self._key = private_key
        self._campaign_id = campaign_id
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def start(self) -> None:
        if self.workers > 1:
            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._key.encode(), self._campaign_id),
            )

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    async def __aenter__(self) -> Opener:
        self.start()
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        # Shutting down waits for the workers to finish what they hold: off the event loop.
        await anyio.to_thread.run_sync(self.close)

    async def open(self, jobs: Sequence[Job]) -> Outcome:
        if self._pool is None:
            return await anyio.to_thread.run_sync(open_chunk, jobs, self._key, self._campaign_id)
        return await asyncio.get_running_loop().run_in_executor(self._pool, _open_in_worker, jobs)

    def open_all(self, chunks: Sequence[Sequence[Job]]) -> list[Outcome]:
        """Open every chunk, waiting for all (for callers without an event loop)."""
        if self._pool is None:
            return [open_chunk(jobs, self._key, self._campaign_id) for jobs in chunks]
        return list(self._pool.map(_open_in_worker, chunks))
