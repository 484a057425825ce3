"""What an account asks of its own holder (the account page's list).

- Two-step sign-in with few recovery codes left (`LOW`, or none): the holder makes new ones
  on the account page before a lost phone locks the account.
"""

from __future__ import annotations

from organise.attention import Asking, Item
from organise.i18n import _, ngettext
from organise.organisers import recovery
from organise.organisers.models import Organiser

# At or below this many unused recovery codes, the holder is asked to make new ones.
LOW = 2


async def for_holder(asking: Asking[Organiser]) -> list[Item]:
    organiser = asking.account
    if not organiser.has_totp:
        return []
    left = await recovery.remaining(organiser)
    if left > LOW:
        return []
    return [
        Item(
            kind="organisers.recovery_codes",
            text=ngettext(
                "You have %(n)d recovery code left for two-step sign-in: make new ones before "
                "you lose your phone.",
                "You have %(n)d recovery codes left for two-step sign-in: make new ones before "
                "you lose your phone.",
                left,
            )
            % {"n": left},
            route="organisers:home",
            fragment="totp",
            link_text=_("New recovery codes"),
        )
    ]


SOURCES = [for_holder]
