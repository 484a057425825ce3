"""A claim on a row for a long job (a campaign's reveal, a survey's release), kept while it runs.

The job starts with a conditional update that moves the row into its working state and stamps
it with the time of the claim (`claimed_at`); that stamp is the claim's token, and every later
update made by the job matches on it. A claim older than `STALE_CLAIM` is taken for one left
behind by a dead process, and the tick hands the row back. So a job that may outlast
`STALE_CLAIM` renews its stamp every `CLAIM_RENEWAL` while it runs (`Claim.kept`): it is
never taken for dead and started again beside itself.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import anyio
from tortoise.models import Model

STALE_CLAIM = timedelta(minutes=15)
CLAIM_RENEWAL = timedelta(minutes=1)


def stale_before(now: datetime) -> datetime:
    """Claims stamped before this are taken for those of dead processes."""
    return now - STALE_CLAIM


@dataclass
class Claim:
    """This call's claim on one row: `model` row `row_id`, in state `state`, stamped `at` in the
    column `stamp`. `lost` makes the error raised when the claim is no longer this call's."""

    model: type[Model]
    row_id: UUID
    state: str
    stamp: str
    at: datetime
    lost: Callable[[], Exception]

    def _mine(self) -> Any:
        return self.model.filter(id=self.row_id, state=self.state, **{self.stamp: self.at})

    async def held(self) -> bool:
        return bool(await self._mine().exists())

    async def renew(self) -> None:
        later = max(self.at, datetime.now(UTC))
        moved = await self._mine().update(**{self.stamp: later})
        if moved != 1:
            raise self.lost()
        self.at = later

    @contextlib.asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the claim every CLAIM_RENEWAL while the body runs."""

        async def keep() -> None:
            while True:
                await anyio.sleep(CLAIM_RENEWAL.total_seconds())
                with anyio.CancelScope(shield=True):  # never cut off in the middle of a write
                    await self.renew()

        try:
            async with anyio.create_task_group() as group:
                group.start_soon(keep)
                yield
                group.cancel_scope.cancel()
        except BaseExceptionGroup as raised:
            # One failure (the body's, or a renewal that found the claim gone): raised as it is,
            # so callers see the error they would without the renewals.
            if len(raised.exceptions) == 1:
                raise raised.exceptions[0] from None
            raise
