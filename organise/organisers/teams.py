"""The team rules campaigns and surveys share: who may be on a team, who changes it, and when
an administrator may give a thing a new owner.

A team is an owner (the `owner_id` column of the feature's row: a campaign, a survey) and
co-organisers (rows of the feature's own member table). Only organisers and administrators
holding their own key may be on one (`team_account`); the owner alone changes it (the operator's
command line too: `acting` None). What is sealed to a team goes to its enabled members
(`recipient_keys`). When nobody on a team can receive anything any more, or it has no owner (it
was removed, or a passphrase reset took it off), nobody can change the team: an administrator
may then assign an owner (`require_ownerless`, then the feature's own checks, then
`make_owner`, which writes the audit line).

A feature describes its teams once with a `Team`: its tables and the words of its refusals.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q
from tortoise.models import Model
from tortoise.transactions import in_transaction

from organise.db import column_values
from organise.i18n import LazyText, _
from organise.organisers import audit
from organise.organisers.accounts import RECEIVES_PLEDGES, can_receive_pledges, normalise_username
from organise.organisers.errors import AccountError
from organise.organisers.models import AuditAction, Organiser
from organise.refusal import Refused
from organise.roles import Role

# The roles that may be on a team (a reviewer or gatekeeper account never is).
TEAM_ROLES = (Role.ORGANISER, Role.ADMIN)


@dataclass(frozen=True)
class Team:
    """How one feature keeps its teams, and what its refusals say.

    The texts are lazy; those naming an account take `%(name)s`.
    """

    things: type[Model]  # the feature's row, with an `owner_id` column
    members: type[Model]  # its co-organisers: (the thing's key column, organiser_id)
    key: str  # the member table's column naming the thing: "campaign_id", "survey_id"
    kind: str  # what the audit log and the refusals' codes call the thing: "campaign", "survey"
    no_such: LazyText  # what anyone off the team is told
    only_owner: LazyText
    already_on: LazyText
    not_on: LazyText
    has_owner: LazyText  # an administrator asked to assign an owner the team does not need
    changed: LazyText  # the thing changed while an owner was being assigned


def owner_id(thing: Model) -> UUID | None:
    return getattr(thing, "owner_id", None)


def not_found(team: Team) -> Refused:
    """What anyone off a team is told: the answer for a thing that does not exist."""
    return Refused(str(team.no_such), status=404, code=f"no_{team.kind}")


async def member_ids(team: Team, thing: Model) -> list[UUID]:
    """The co-organisers' account ids (the owner is not among them)."""
    return await column_values(team.members.filter(**{team.key: thing.pk}), "organiser_id")


async def team_ids(team: Team, thing: Model) -> set[UUID]:
    owner = owner_id(thing)
    return set(await member_ids(team, thing)) | ({owner} if owner is not None else set())


async def is_on_team(team: Team, thing: Model, organiser: Organiser) -> bool:
    if owner_id(thing) == organiser.id:
        return True
    return await team.members.exists(**{team.key: thing.pk, "organiser_id": organiser.id})


async def require_team(team: Team, thing: Model, acting: Organiser) -> None:
    """Refuse (404, as for nothing at that address) unless `acting` is on the thing's team."""
    if not await is_on_team(team, thing, acting):
        raise not_found(team)


async def things_of(team: Team, organiser: Organiser) -> list[Any]:
    """The things whose team this account is on, newest first."""
    joined = await column_values(team.members.filter(organiser_id=organiser.id), team.key)
    return await team.things.filter(Q(owner_id=organiser.id) | Q(id__in=joined)).order_by(
        "-created_at"
    )


async def members(team: Team, thing: Model) -> list[Organiser]:
    """The co-organisers, by name."""
    return await Organiser.filter(id__in=await member_ids(team, thing)).order_by("username")


async def recipient_keys(
    team: Team, thing_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[bytes]:
    """The public keys what is sealed to this team now goes to: its enabled members."""
    thing = await team.things.get(id=thing_id, using_db=connection)
    enabled = Organiser.filter(
        id__in=list(await team_ids(team, thing)), role__in=TEAM_ROLES, **RECEIVES_PLEDGES
    )
    return [bytes(key) for key in await column_values(enabled.using_db(connection), "public_key")]


async def has_enabled_member(team: Team, thing: Model) -> bool:
    return bool(await recipient_keys(team, thing.pk))


async def needs_an_owner(team: Team, thing: Model) -> bool:
    """Nobody on its team can receive what is sealed to it, or it has no owner (removed, or
    taken off by a reset): nobody can then change its team, so an administrator may assign one."""
    return owner_id(thing) is None or not await has_enabled_member(team, thing)


async def team_account(username: str, *, field: str = "username") -> Organiser:
    """The account named `username`, if it may be on a team; refused otherwise."""
    organiser = await _account_named(username)
    if organiser is None:
        raise Refused(
            {field: _("There is no account %(name)s.") % {"name": username.strip()}},
            code="unknown_account",
        )
    if organiser.role not in TEAM_ROLES:
        raise Refused(
            {
                field: _(
                    "%(name)s is not an organiser or admin account: it cannot be on the team of "
                    "a campaign or a survey."
                )
                % {"name": organiser.username}
            },
            code="not_a_team_role",
        )
    if organiser.disabled:
        raise Refused(
            {field: _("%(name)s is disabled.") % {"name": organiser.username}},
            code="account_disabled",
        )
    if not can_receive_pledges(organiser):
        raise Refused(
            {
                field: _(
                    "%(name)s has not set up its own key yet (enrolment): it cannot be on the "
                    "team of a campaign or a survey until its holder has."
                )
                % {"name": organiser.username}
            },
            code="not_enrolled",
        )
    return organiser


async def _account_named(username: str) -> Organiser | None:
    try:
        name = normalise_username(username)
    except AccountError:
        return None
    return await Organiser.get_or_none(username=name) if name else None


def require_owner(team: Team, thing: Model, acting: Organiser | None) -> None:
    """Only the owner changes a team (`acting` None: the operator's command line)."""
    if acting is not None and owner_id(thing) != acting.id:
        raise Refused(str(team.only_owner), status=403, code="not_owner")


async def joining(
    team: Team, thing: Model, username: str, *, acting: Organiser | None
) -> Organiser:
    """The account `acting` may add to the team (refused if not the owner, or already on it)."""
    require_owner(team, thing, acting)
    organiser = await team_account(username)
    if await is_on_team(team, thing, organiser):
        raise Refused(
            {"username": str(team.already_on) % {"name": username}},
            status=409,
            code="already_on_team",
        )
    return organiser


async def add(team: Team, thing: Model, organiser: Organiser) -> None:
    await team.members.create(**{team.key: thing.pk, "organiser_id": organiser.id})


async def remove_member(
    team: Team, thing: Model, username: str, *, acting: Organiser | None
) -> None:
    """Remove a co-organiser: they see none of the thing's pages, nor anything later sealed to
    its team."""
    require_owner(team, thing, acting)
    organiser = await _account_named(username)
    if organiser is not None and owner_id(thing) == organiser.id:
        raise Refused(
            {"username": _("The owner cannot be removed from the team.")},
            status=409,
            code="owner_not_removable",
        )
    removed = 0
    if organiser is not None:
        removed = await team.members.filter(
            **{team.key: thing.pk, "organiser_id": organiser.id}
        ).delete()
    if not removed:
        raise Refused(
            {"username": str(team.not_on) % {"name": username}},
            status=404,
            code="not_on_team",
        )


async def require_ownerless(team: Team, thing: Model) -> None:
    """Refuse an administrator's owner assignment unless the thing needs an owner."""
    if not await needs_an_owner(team, thing):
        raise Refused(str(team.has_owner), status=409, code="team_has_members")


async def make_owner(
    team: Team,
    thing: Model,
    organiser: Organiser,
    *,
    unless_changed: dict[str, Any],
    also: dict[str, Any],
    acting: Organiser | None,
    now: datetime,
) -> None:
    """Make `organiser` the owner (no longer also a co-organiser), with the audit line saying
    who gave what to whom, in one transaction; only while the thing's row still matches
    `unless_changed` (refused otherwise: it changed meanwhile). `also`: more columns to set."""
    async with in_transaction() as connection:
        moved = (
            await team.things.filter(id=thing.pk, **unless_changed)
            .using_db(connection)
            .update(owner_id=organiser.id, **also)
        )
        if moved != 1:
            raise Refused(str(team.changed), status=409, code=f"{team.kind}_changed")
        await (
            team.members.filter(**{team.key: thing.pk, "organiser_id": organiser.id})
            .using_db(connection)
            .delete()
        )
        await audit.record(
            AuditAction.OWNER_ASSIGNED,
            organiser,
            acting=acting,
            now=now,
            detail=f"{team.kind} {getattr(thing, 'slug', thing.pk)}",
            connection=connection,
        )
