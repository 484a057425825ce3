"""Names of a campaign's keys in the keystore, and keystore calls kept off the event loop.

One prefix per kind, so that one `delete_prefix` wipes it:

- `pledge/<campaign>/<pledge>`: per-pledge keys (layer 2 of each envelope);
- `gate/<campaign>/server`: the server's gate share;
- `gate/<campaign>/submitted/<group>-<member>`: gatekeepers' shares, one per place, held until
  the reveal (see `gatekeeping`);
- `release/<campaign>`: the key of the revealed lists shown to co-signers and the public.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import UUID

import anyio

from crypto.keystore import Keystore

T = TypeVar("T")


def pledge_key(campaign_id: UUID | str, pledge_id: UUID | str) -> str:
    return f"pledge/{campaign_id}/{pledge_id}"


def pledge_prefix(campaign_id: UUID | str) -> str:
    return f"pledge/{campaign_id}/"


def gate_prefix(campaign_id: UUID | str) -> str:
    return f"gate/{campaign_id}/"


def server_share(campaign_id: UUID | str) -> str:
    return f"gate/{campaign_id}/server"


def submitted_prefix(campaign_id: UUID | str) -> str:
    return f"gate/{campaign_id}/submitted/"


def release_key(campaign_id: UUID | str) -> str:
    return f"release/{campaign_id}"


async def in_thread(function: Callable[..., T], *args: object) -> T:
    """Run a (blocking, SQLite) keystore call in a worker thread."""
    return await anyio.to_thread.run_sync(function, *args)


async def delete_names(keystore: Keystore, names: Iterable[str]) -> int:
    return await in_thread(keystore.delete_many, list(names))


async def delete_prefix(keystore: Keystore, prefix: str) -> int:
    # Read first: a delete is a write transaction on the shared keystore file. (Whether any
    # name is there, not every name: a campaign's prefix can hold 100,000s.)
    if not await in_thread(keystore.has_prefix, prefix):
        return 0
    return await in_thread(keystore.delete_prefix, prefix)
