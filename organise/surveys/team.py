"""A survey's team: its owner and co-organisers, the only people who see its organiser pages,
its results before they are public, and the text answers kept after the release.

The accounts that may be on a team are those that may be on a campaign's
(`organise.campaigns.team.team_account`): organisers and administrators holding their own key.
An administrator's role gives no access to a survey it is not on.
"""

from __future__ import annotations

from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from organise.campaigns.team import TEAM_ROLES, team_account
from organise.db import column_values
from organise.i18n import _
from organise.organisers.accounts import RECEIVES_PLEDGES
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.surveys.models import Survey, SurveyMember

__all__ = ["TEAM_ROLES", "team_account"]


def not_found() -> Refused:
    """What anyone off a survey's team is told: the answer for a survey that does not exist."""
    return Refused(_("There is no survey at this address."), status=404, code="no_survey")


async def team_ids(survey: Survey) -> set[UUID]:
    members = await column_values(SurveyMember.filter(survey_id=survey.id), "organiser_id")
    owner = survey.owner_id  # type: ignore[attr-defined]
    return set(members) | ({owner} if owner is not None else set())


async def is_on_team(survey: Survey, organiser: Organiser) -> bool:
    if survey.owner_id == organiser.id:  # type: ignore[attr-defined]
        return True
    return await SurveyMember.exists(survey_id=survey.id, organiser_id=organiser.id)


async def require_team(survey: Survey, acting: Organiser) -> None:
    """Refuse (404, as for no survey at all) unless `acting` is on the survey's team."""
    if not await is_on_team(survey, acting):
        raise not_found()


async def surveys_of(organiser: Organiser) -> list[Survey]:
    """The surveys whose team this account is on, newest first."""
    joined = await column_values(SurveyMember.filter(organiser_id=organiser.id), "survey_id")
    return await Survey.filter(Q(owner_id=organiser.id) | Q(id__in=joined)).order_by("-created_at")


async def member_names(survey: Survey) -> list[str]:
    ids = await column_values(SurveyMember.filter(survey_id=survey.id), "organiser_id")
    return await column_values(Organiser.filter(id__in=ids).order_by("username"), "username")


async def recipient_keys(
    survey_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[bytes]:
    """The public keys the team's copy of the text answers is sealed to: enabled members."""
    survey = await Survey.get(id=survey_id, using_db=connection)
    enabled = Organiser.filter(
        id__in=list(await team_ids(survey)), role__in=TEAM_ROLES, **RECEIVES_PLEDGES
    )
    return [bytes(key) for key in await column_values(enabled.using_db(connection), "public_key")]


def _only_owner(survey: Survey, acting: Organiser | None) -> None:
    if acting is not None and survey.owner_id != acting.id:  # type: ignore[attr-defined]
        raise Refused(
            _("Only the survey's owner can change its team."), status=403, code="not_owner"
        )


async def add_member(survey: Survey, username: str, *, acting: Organiser | None) -> Organiser:
    """Add a co-organiser. `acting` is the signed-in owner (None: the operator's command line).

    After the release the text answers are already sealed to the team as it was at the close:
    a newcomer sees the tables, never those texts.
    """
    _only_owner(survey, acting)
    organiser = await team_account(username)
    if await is_on_team(survey, organiser):
        raise Refused(
            {"username": _("%(name)s is already on this survey's team.") % {"name": username}},
            status=409,
            code="already_on_team",
        )
    await SurveyMember.create(survey_id=survey.id, organiser_id=organiser.id)
    return organiser


async def remove_member(survey: Survey, username: str, *, acting: Organiser | None) -> None:
    """Remove a co-organiser: they see none of the survey's pages, nor the texts of a later
    release (sealed to the team at the close)."""
    _only_owner(survey, acting)
    organiser = await Organiser.get_or_none(username=username.strip().lower())
    if organiser is not None and survey.owner_id == organiser.id:  # type: ignore[attr-defined]
        raise Refused(
            {"username": _("The owner cannot be removed from the team.")},
            status=409,
            code="owner_not_removable",
        )
    removed = 0
    if organiser is not None:
        removed = await SurveyMember.filter(survey_id=survey.id, organiser_id=organiser.id).delete()
    if not removed:
        raise Refused(
            {"username": _("%(name)s is not on this survey's team.") % {"name": username}},
            status=404,
            code="not_on_team",
        )


async def accounts(usernames: tuple[str, ...], owner: Organiser) -> list[Organiser]:
    """The accounts named in a definition's team (the owner left out), or Refused."""
    found = []
    for username in usernames:
        organiser = await team_account(username, field="team")
        if organiser.id != owner.id and organiser not in found:
            found.append(organiser)
    return found
