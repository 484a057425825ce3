"""An overdue rotation of the shared keystore, on the account page of admins and organisers.

Until the keystore rotates, a key deleted since the last rotation (a withdrawn pledge's, an
expired campaign's) can still be unwrapped from a backup of the keystore database, since the
current epoch's key-encryption key still exists. The line is a warning, never a refusal: the
app keeps writing, so withdrawals, gatekeepers and expiry deletions near a deadline go on.

It reads what this process learned at its last report (every minute), not the database.
"""

from __future__ import annotations

from typing import Any

from organise.attention import Asking, Item
from organise.i18n import _
from organise.keystore.shared import SharedKeystore
from organise.roles import Role

WARNED_ROLES = frozenset({Role.ADMIN, Role.ORGANISER})


async def rotation_overdue(asking: Asking[Any]) -> list[Item]:
    # The account is the accounts feature's; this sits below the features and reads its role.
    keystore = asking.keystore
    if not isinstance(keystore, SharedKeystore) or not keystore.rotation_overdue:
        return []
    if getattr(asking.account, "role", None) not in WARNED_ROLES:
        return []
    return [
        Item(
            kind="keystore.rotation_overdue",
            text=_(
                "The keystore's key rotation is overdue. Until the server operator runs it, "
                "keys deleted since the last rotation, those of withdrawn pledges among them, "
                "can still be opened from backups of the keystore database."
            ),
            route="organisers:home",
            fragment="attention",
            link_text=_("Tell the server operator"),
        )
    ]


SOURCES = [rotation_overdue]
