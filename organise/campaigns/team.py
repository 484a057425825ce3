"""A campaign's team: its owner and co-organisers, the only people who may run it or read it.

The reveal is sealed to the team members who can receive pledges at that moment
(`accounts.can_receive_pledges`), and to no one else: the role `admin` manages accounts and
never grants access to pledges. A campaign whose team has no such member does not reveal
(`reveal` checks `recipient_keys`); an administrator may then assign a new owner, which is shown
to every signer and delays the reveal by one cooling-off period (`assign_owner`), so that
signers who do not trust that person can withdraw first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from organise.campaigns import clock, policy
from organise.campaigns.models import Campaign, CampaignMember
from organise.i18n import _, _l
from organise.organisers import teams
from organise.organisers.models import Organiser
from organise.organisers.teams import TEAM_ROLES, team_account
from organise.refusal import Refused
from organise.weeks import week_of

__all__ = ["TEAM_ROLES", "team_account"]

TEAM = teams.Team(
    things=Campaign,
    members=CampaignMember,
    key="campaign_id",
    kind="campaign",
    no_such=_l("There is no campaign at this address."),
    only_owner=_l("Only the campaign's owner can change its team."),
    already_on=_l("%(name)s is already on this campaign's team."),
    not_on=_l("%(name)s is not on this campaign's team."),
    has_owner=_l(
        "This campaign's team can still receive its pledges: its owner changes the team, "
        "not an administrator."
    ),
    changed=_l("This campaign changed state meanwhile; look at it again."),
)
# However short the campaign's own cooling-off, signers get at least this long to withdraw
# after an administrator assigned a new owner: a zero-hour cooling-off was chosen for the
# organisers the signers knew, not for a stranger.
MIN_OWNER_NOTICE_HOURS = 24


async def member_ids(campaign: Campaign) -> list[UUID]:
    """The co-organisers' account ids (the owner is not among them)."""
    return await teams.member_ids(TEAM, campaign)


async def team_ids(campaign: Campaign) -> set[UUID]:
    return await teams.team_ids(TEAM, campaign)


async def is_on_team(campaign: Campaign, organiser: Organiser) -> bool:
    return await teams.is_on_team(TEAM, campaign, organiser)


def not_found() -> Refused:
    """What anyone off a campaign's team is told: the answer for a campaign that does not exist."""
    return teams.not_found(TEAM)


async def require_team(campaign: Campaign, acting: Organiser) -> None:
    """Refuse (404, as for no campaign at all) unless `acting` is on the campaign's team."""
    await teams.require_team(TEAM, campaign, acting)


async def campaigns_of(organiser: Organiser) -> list[Campaign]:
    """The campaigns whose team this account is on, newest first."""
    return await teams.things_of(TEAM, organiser)


async def owner_of(campaign: Campaign) -> Organiser | None:
    owner = teams.owner_id(campaign)
    return None if owner is None else await Organiser.get_or_none(id=owner)


async def members(campaign: Campaign) -> list[Organiser]:
    """The co-organisers, by name."""
    return await teams.members(TEAM, campaign)


async def recipient_keys(
    campaign_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[bytes]:
    """The public keys a reveal of this campaign is sealed to, now: its enabled team members."""
    return await teams.recipient_keys(TEAM, campaign_id, connection)


async def has_enabled_member(campaign: Campaign) -> bool:
    return await teams.has_enabled_member(TEAM, campaign)


async def needs_an_owner(campaign: Campaign) -> bool:
    """Nobody on its team can receive pledges, or it has no owner (it was removed, or reset by
    an admin): nobody can then change its team, so an administrator may assign one."""
    return await teams.needs_an_owner(TEAM, campaign)


async def waiting_for_owner() -> list[Campaign]:
    """Campaigns still collecting or about to reveal that need an owner (`needs_an_owner`).

    Listed for administrators, who may assign a new owner (`assign_owner`).
    """
    active = await Campaign.filter(state__in=policy.ACTIVE).order_by("deadline", "slug")
    return [campaign for campaign in active if await needs_an_owner(campaign)]


async def add_member(campaign: Campaign, username: str, *, acting: Organiser | None) -> Organiser:
    """Add a co-organiser. `acting` is the signed-in owner (None: the operator's command line).

    Refused on a team with no enabled member: a newcomer there would read the pledges unseen by
    the signers, which only `assign_owner`, announced to them, may bring about.
    """
    organiser = await teams.joining(TEAM, campaign, username, acting=acting)
    if not await has_enabled_member(campaign):
        raise Refused(
            _(
                "Nobody on this campaign's team can receive its pledges. An administrator "
                "assigns a new owner instead, which every signer is told about."
            ),
            status=409,
            code="team_waiting_for_owner",
        )
    await teams.add(TEAM, campaign, organiser)
    return organiser


async def remove_member(campaign: Campaign, username: str, *, acting: Organiser | None) -> None:
    """Remove a co-organiser: they see none of the campaign's pages, nor any later reveal."""
    await teams.remove_member(TEAM, campaign, username, acting=acting)


def owner_notice_hours(campaign: Campaign) -> int:
    return max(campaign.cooling_off_hours, MIN_OWNER_NOTICE_HOURS)


async def assign_owner(
    campaign: Campaign,
    username: str,
    *,
    acting: Organiser | None = None,
    now: datetime | None = None,
) -> Campaign:
    """An administrator's act: give a campaign whose team can receive nothing a new owner.

    Only while nobody on the team can receive pledges, or the campaign has no owner (otherwise
    the owner decides who joins),
    and only before the reveal. The week is recorded for the public page and every signer's
    status page, and no reveal may happen for one cooling-off period (at least
    MIN_OWNER_NOTICE_HOURS), the moment rounded up to the hour. `acting` is the administrator
    (None: the operator's command line), named in the audit log.
    """
    now = now or datetime.now(UTC)
    organiser = await team_account(username)
    if campaign.state not in policy.ACTIVE:
        raise Refused(
            _("This campaign is %(state)s: there is nothing left for a new owner to run.")
            % {"state": policy.state_label(campaign.state)},
            status=409,
            code="campaign_closed",
        )
    await teams.require_ownerless(TEAM, campaign)
    not_before = clock.hour_up(now + timedelta(hours=owner_notice_hours(campaign)))
    # Conditional on the state: never while a reveal is under way (`reveal` claims with the
    # same row, and its claim requires `reveal_not_before` to have passed).
    await teams.make_owner(
        TEAM,
        campaign,
        organiser,
        unless_changed={"state__in": policy.ACTIVE},
        also={"owner_assigned_week": week_of(now), "reveal_not_before": not_before},
        acting=acting,
        now=now,
    )
    return await Campaign.get(id=campaign.id)


def reveal_allowed_filter(now: datetime) -> Q:
    """Campaigns whose reveal is not held back by a recent owner assignment."""
    return Q(reveal_not_before__isnull=True) | Q(reveal_not_before__lte=now)


@dataclass(frozen=True)
class RevealHold:
    """Why a campaign that is still running would not reveal now, even with its gate open.

    `not_before` None: nobody on the team can receive the pledges (the campaign waits for an
    administrator to assign an owner). Otherwise an owner was assigned, and no reveal happens
    before that moment.
    """

    not_before: datetime | None


async def reveal_hold(campaign: Campaign, now: datetime) -> RevealHold | None:
    """What holds this campaign's reveal back for its team, if anything (see `reveal`)."""
    if campaign.state not in policy.ACTIVE:
        return None
    if not await has_enabled_member(campaign):
        return RevealHold(not_before=None)
    not_before = campaign.reveal_not_before
    if not_before is not None and not_before > now:
        return RevealHold(not_before=not_before)
    return None
