"""The in-server ticker: runs `lifecycle.tick` at start and then every `INTERVAL_SECONDS`.

Other features' time-based jobs (a survey's close, say) ride on the same ticker: the app passes
them to `start_ticker`, and each runs after the campaigns' own, its failure logged apart.

Several server processes each run one; transitions are conditional updates, so that is safe.
A signature that ends a zero-hour cooling-off wakes the ticker of its process at once.
Errors are logged by type only: a message could carry something a person typed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from starlette.applications import Starlette

from crypto.keystore import Keystore
from organise.campaigns import lifecycle
from organise.runtime import Runtime

log = logging.getLogger("organise.campaigns")

INTERVAL_SECONDS: float | None = 30.0  # None: no in-server ticker (tests drive `tick` directly)
STOP_GRACE_SECONDS = 20.0
_ON_THE_APP = "campaign_ticker"  # the name of this process's ticker in the app's state

# One time-based job: given the keystore, runs every due transition once.
Job = Callable[[Keystore], Awaitable[object]]


class Ticker:
    def __init__(self, keystore: Keystore, interval: float, jobs: Sequence[Job] = ()) -> None:
        self.keystore = keystore
        self.interval = interval
        self.jobs: tuple[Job, ...] = (lifecycle.tick, *jobs)
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.runs = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="organise-campaign-ticker")

    def wake(self) -> None:
        self._wake.set()

    async def stop(self) -> None:
        """Let a tick under way finish (a reveal should not be cut in half), then stop."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), timeout=STOP_GRACE_SECONDS)
        except TimeoutError:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        self._task = None

    async def _run(self) -> None:
        while not self._stopping:
            self._wake.clear()
            for job in self.jobs:
                try:
                    await job(self.keystore)
                except Exception as error:
                    log.error("ticker job failed: %s", type(error).__name__)
            self.runs += 1
            if self._stopping:
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=self.interval)


def running(app: Starlette) -> Ticker | None:
    """This process's ticker, if its app's lifespan started one."""
    found = getattr(app.state, _ON_THE_APP, None)
    return found if isinstance(found, Ticker) else None


def start_ticker(app: Starlette, runtime: Runtime, jobs: Sequence[Job] = ()) -> None:
    """Called from the app's lifespan once the database and keystore are open; `jobs` are other
    features' time-based jobs, run after the campaigns' own."""
    ticker = None if INTERVAL_SECONDS is None else Ticker(runtime.keystore, INTERVAL_SECONDS, jobs)
    setattr(app.state, _ON_THE_APP, ticker)
    if ticker is not None:
        ticker.start()


async def stop_ticker(app: Starlette) -> None:
    ticker = running(app)
    if ticker is not None:
        await ticker.stop()


def wake(app: Starlette) -> None:
    ticker = running(app)
    if ticker is not None:
        ticker.wake()
