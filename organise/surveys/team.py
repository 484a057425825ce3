"""A survey's team: its owner and co-organisers, the only people who see its organiser pages,
its results before they are public, and the text answers kept after the release.

The rules are the campaigns' (`organise.organisers.teams`): organisers and administrators
holding their own key may be on a team, its owner changes it, and an administrator's role
gives no access to a survey it is not on. When nobody on the team can receive the text
answers, or the survey has no owner (a passphrase reset or a removal took it off), an
administrator may assign a new owner (`assign_owner`).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from organise.i18n import _, _l
from organise.organisers import teams
from organise.organisers.models import Organiser
from organise.organisers.teams import TEAM_ROLES, team_account
from organise.refusal import Refused
from organise.surveys.models import Survey, SurveyMember, SurveyState
from organise.weeks import week_of

__all__ = ["TEAM_ROLES", "team_account"]

# An administrator's new owner must be announced at least this long before the close.
MIN_OWNER_NOTICE = timedelta(hours=24)

TEAM = teams.Team(
    things=Survey,
    members=SurveyMember,
    key="survey_id",
    kind="survey",
    no_such=_l("There is no survey at this address."),
    only_owner=_l("Only the survey's owner can change its team."),
    already_on=_l("%(name)s is already on this survey's team."),
    not_on=_l("%(name)s is not on this survey's team."),
    has_owner=_l(
        "This survey's team can still receive its text answers: its owner changes the team, "
        "not an administrator."
    ),
    changed=_l("This survey changed meanwhile; look at it again."),
)


def not_found() -> Refused:
    """What anyone off a survey's team is told: the answer for a survey that does not exist."""
    return teams.not_found(TEAM)


async def team_ids(survey: Survey) -> set[UUID]:
    return await teams.team_ids(TEAM, survey)


async def is_on_team(survey: Survey, organiser: Organiser) -> bool:
    return await teams.is_on_team(TEAM, survey, organiser)


async def require_team(survey: Survey, acting: Organiser) -> None:
    """Refuse (404, as for no survey at all) unless `acting` is on the survey's team."""
    await teams.require_team(TEAM, survey, acting)


async def surveys_of(organiser: Organiser) -> list[Survey]:
    """The surveys whose team this account is on, newest first."""
    return await teams.things_of(TEAM, organiser)


async def member_names(survey: Survey) -> list[str]:
    return [organiser.username for organiser in await teams.members(TEAM, survey)]


async def recipient_keys(
    survey_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[bytes]:
    """The public keys the team's copy of the text answers is sealed to: enabled members."""
    return await teams.recipient_keys(TEAM, survey_id, connection)


async def add_member(survey: Survey, username: str, *, acting: Organiser | None) -> Organiser:
    """Add a co-organiser. `acting` is the signed-in owner (None: the operator's command line).

    After the release the text answers are already sealed to the team as it was at the close:
    a newcomer sees the tables, never those texts.
    """
    organiser = await teams.joining(TEAM, survey, username, acting=acting)
    await teams.add(TEAM, survey, organiser)
    return organiser


async def remove_member(survey: Survey, username: str, *, acting: Organiser | None) -> None:
    """Remove a co-organiser: they see none of the survey's pages, nor the texts of a later
    release (sealed to the team at the close)."""
    await teams.remove_member(TEAM, survey, username, acting=acting)


async def waiting_for_owner() -> list[Survey]:
    """The surveys that need an owner (`teams.needs_an_owner`), closing soonest first.

    Listed for administrators, who may assign one (`assign_owner`).
    """
    everyone = await Survey.all().order_by("closes_at", "slug")
    return [survey for survey in everyone if await teams.needs_an_owner(TEAM, survey)]


async def assign_owner(
    survey: Survey, username: str, *, acting: Organiser | None, now: datetime
) -> Survey:
    """An administrator's act: give a survey that needs an owner a new one.

    Only while the survey has no owner or nobody on its team can receive its text answers
    (otherwise the owner decides who joins), never the acting administrator's own account, and
    not in the last MIN_OWNER_NOTICE before an open survey's close. The survey's pages say, from
    then on, that an administrator gave it a new owner that week (respondents can still change
    or withdraw their answers before the close); the new owner reads what the team reads: before
    the close, its pages; after it, the tables, and the text answers only if they are sealed at
    a close still to come (those sealed to the team of an earlier close stay with it). `acting`
    is the administrator (None: the operator's command line), named in the audit log.
    """
    organiser = await team_account(username)
    await teams.require_ownerless(TEAM, survey)
    if acting is not None and organiser.id == acting.id:
        # The administrator stays off every team (docs/surveys.md): naming oneself would give
        # an account that can reset others a way onto a survey and its text answers.
        raise Refused(
            _("An administrator cannot make themselves a survey's owner: name someone else."),
            status=403,
            code="own_assignment",
        )
    if survey.state == SurveyState.OPEN and survey.closes_at - now < MIN_OWNER_NOTICE:
        # Respondents need time to see the notice and withdraw before the texts are sealed to
        # the new owner at the close; with nobody to receive them, they are destroyed unread.
        raise Refused(
            _(
                "This survey closes in less than a day: respondents would have no time to see "
                "that its owner changed. Its text answers are destroyed unread at the close if "
                "nobody on its team can receive them."
            ),
            status=409,
            code="too_close_to_close",
        )
    before = teams.owner_id(survey)
    # Conditional on the owner read above: of two administrators at once, one assigns.
    await teams.make_owner(
        TEAM,
        survey,
        organiser,
        unless_changed={"owner_id__isnull": True} if before is None else {"owner_id": before},
        also={"owner_assigned_week": week_of(now)},
        acting=acting,
        now=now,
    )
    return await Survey.get(id=survey.id)


async def accounts(usernames: tuple[str, ...], owner: Organiser) -> list[Organiser]:
    """The accounts named in a definition's team (the owner left out), or Refused."""
    found = []
    for username in usernames:
        organiser = await team_account(username, field="team")
        if organiser.id != owner.id and organiser not in found:
            found.append(organiser)
    return found
