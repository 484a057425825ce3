"""What waits for a signed-in account to act on: one list on its account page, from every feature.

Each feature that can have work for someone provides a source in its own `attention.py`: an
async function of what the list is asked with (`Asking`: the account, its private key when it
is signed in through the browser, the keystore, the clock) answering the lines (`Item`) for
that account alone. The feature exports its sources from its `routes.py` (`attention = [...]`),
`organise/app.py` collects them like the other exports and installs them on the app
(`install`), and the account page asks each in turn (`gather`). Nothing here knows a feature;
a new one adds a source and an export, and nothing else changes.

A source answers for exactly one account: a campaign's lines only to its team, the review
queue only to reviewers and admins, a share request only to the gatekeeper asked. Its lines
carry no count or time finer than the page its link opens already shows to that account.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

import nacl.public
from starlette.applications import Starlette
from starlette.requests import Request

from crypto.keystore import Keystore
from organise.i18n import _

# The account type: the accounts feature's (each source is typed with it).
A = TypeVar("A", covariant=True)


@dataclass(frozen=True)
class Asking(Generic[A]):
    """What a source is asked with."""

    account: A
    # Its X25519 private key, from its browser session; None where it has none (an API token).
    private_key: nacl.public.PrivateKey | None
    keystore: Keystore
    now: datetime


@dataclass(frozen=True)
class Item:
    """One line: what waits (already translated), and the page where the work is done."""

    # "<feature>.<what>", e.g. "campaigns.cooling_off": a data attribute of the line (for tests
    # and styling), never its words.
    kind: str
    text: str
    # The link: a route name and its path parameters, turned into an address by the page
    # (`url_for`), so that it follows the address the page was opened at; and its words.
    route: str
    link_text: str
    params: tuple[tuple[str, str], ...] = ()
    fragment: str = ""

    @property
    def path_params(self) -> dict[str, str]:
        return dict(self.params)


def on_page_of(kind: str, text: str, route: str, slug: str, title: str) -> Item:
    """A line whose work is on the page of one campaign or survey: `route` with its `slug`,
    linked as "Open <title>"."""
    link_text = _("Open %(title)s") % {"title": title}
    return Item(kind=kind, text=text, route=route, params=(("slug", slug),), link_text=link_text)


Source = Callable[[Asking[Any]], Awaitable[list[Item]]]


def install(app: Starlette, sources: Sequence[Source]) -> None:
    app.state.attention_sources = tuple(sources)


def installed(request: Request) -> tuple[Source, ...]:
    found = getattr(request.app.state, "attention_sources", None)
    if not isinstance(found, tuple):
        raise RuntimeError(
            "the app has no attention sources (organise.app.create_app installs them)"
        )
    return found


async def gather(sources: Sequence[Source], asking: Asking[Any]) -> list[Item]:
    """Every source's lines for this account, in the order the sources were installed."""
    items: list[Item] = []
    for source in sources:
        items.extend(await source(asking))
    return items
