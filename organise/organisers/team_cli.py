"""`organise campaign|survey team add|remove SLUG USERNAME`: the operator changes a team.

The same two commands for every feature with a team (`teams`): the operator acts as the owner
would (`acting` None), under the same refusals.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import click

from organise.bootstrap import run_command
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.runtime import Runtime

Find = Callable[[str], Awaitable[Any]]
Add = Callable[..., Awaitable[Organiser]]
Remove = Callable[..., Awaitable[None]]


def add_team_commands(
    group: click.Group, kind: str, find: Find, add: Add, remove: Remove, removal: str
) -> None:
    """Add `add` and `remove` to `group`: `find` a campaign or survey (`kind`) by its slug,
    then the feature's `add(thing, username, acting=None)` or `remove(...)`. `removal` says
    what a removed co-organiser no longer sees."""

    @group.command(
        "add", help=f"Add USERNAME (an enrolled organiser or admin) to the {kind}'s team."
    )
    @click.argument("slug")
    @click.argument("username")
    def team_add(slug: str, username: str) -> None:
        async def work(runtime: Runtime) -> str:
            added = await add(await find(slug), username, acting=None)
            return added.username

        name = run_command(work)
        click.echo(_("%(name)s is on the team of %(slug)s.") % {"name": name, "slug": slug})

    @group.command("remove", help=f"Remove co-organiser USERNAME: {removal}")
    @click.argument("slug")
    @click.argument("username")
    def team_remove(slug: str, username: str) -> None:
        async def work(runtime: Runtime) -> None:
            await remove(await find(slug), username, acting=None)

        run_command(work)
        click.echo(_("%(name)s is off the team of %(slug)s.") % {"name": username, "slug": slug})
