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
from tortoise.transactions import in_transaction

from organise.campaigns import clock, policy
from organise.campaigns.models import Campaign, CampaignMember
from organise.db import column_values
from organise.i18n import _
from organise.organisers.accounts import RECEIVES_PLEDGES, can_receive_pledges, normalise_username
from organise.organisers.errors import AccountError
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.roles import Role
from organise.weeks import week_of

# The roles that may be on a campaign's team (a reviewer or gatekeeper account never is).
TEAM_ROLES = (Role.ORGANISER, Role.ADMIN)
# However short the campaign's own cooling-off, signers get at least this long to withdraw
# after an administrator assigned a new owner: a zero-hour cooling-off was chosen for the
# organisers the signers knew, not for a stranger.
MIN_OWNER_NOTICE_HOURS = 24


async def member_ids(campaign: Campaign) -> list[UUID]:
    """The co-organisers' account ids (the owner is not among them)."""
    return await column_values(CampaignMember.filter(campaign_id=campaign.id), "organiser_id")


async def team_ids(campaign: Campaign) -> set[UUID]:
    owner = campaign.owner_id  # type: ignore[attr-defined]
    return set(await member_ids(campaign)) | ({owner} if owner is not None else set())


async def is_on_team(campaign: Campaign, organiser: Organiser) -> bool:
    if campaign.owner_id == organiser.id:  # type: ignore[attr-defined]
        return True
    return await CampaignMember.exists(campaign_id=campaign.id, organiser_id=organiser.id)


def not_found() -> Refused:
    """What anyone off a campaign's team is told: the answer for a campaign that does not exist."""
    return Refused(_("There is no campaign at this address."), status=404, code="no_campaign")


async def require_team(campaign: Campaign, acting: Organiser) -> None:
    """Refuse (404, as for no campaign at all) unless `acting` is on the campaign's team."""
    if not await is_on_team(campaign, acting):
        raise not_found()


def _is_owner(campaign: Campaign, organiser: Organiser) -> bool:
    return bool(campaign.owner_id == organiser.id)  # type: ignore[attr-defined]


async def campaigns_of(organiser: Organiser) -> list[Campaign]:
    """The campaigns whose team this account is on, newest first."""
    joined = await column_values(CampaignMember.filter(organiser_id=organiser.id), "campaign_id")
    return await Campaign.filter(Q(owner_id=organiser.id) | Q(id__in=joined)).order_by(
        "-created_at"
    )


async def owner_of(campaign: Campaign) -> Organiser | None:
    owner = campaign.owner_id  # type: ignore[attr-defined]
    return None if owner is None else await Organiser.get_or_none(id=owner)


async def members(campaign: Campaign) -> list[Organiser]:
    """The co-organisers, by name."""
    return await Organiser.filter(id__in=await member_ids(campaign)).order_by("username")


async def recipient_keys(
    campaign_id: UUID, connection: BaseDBAsyncClient | None = None
) -> list[bytes]:
    """The public keys a reveal of this campaign is sealed to, now: its enabled team members."""
    campaign = await Campaign.get(id=campaign_id, using_db=connection)
    enabled = Organiser.filter(
        id__in=list(await team_ids(campaign)), role__in=TEAM_ROLES, **RECEIVES_PLEDGES
    )
    return [bytes(key) for key in await column_values(enabled.using_db(connection), "public_key")]


async def has_enabled_member(campaign: Campaign) -> bool:
    return bool(await recipient_keys(campaign.id))


async def needs_an_owner(campaign: Campaign) -> bool:
    """Nobody on its team can receive pledges, or it has no owner (it was removed, or reset by
    an admin): nobody can then change its team, so an administrator may assign one."""
    return campaign.owner_id is None or not await has_enabled_member(campaign)  # type: ignore[attr-defined]


async def waiting_for_owner() -> list[Campaign]:
    """Campaigns still collecting or about to reveal that need an owner (`needs_an_owner`).

    Listed for administrators, who may assign a new owner (`assign_owner`).
    """
    active = await Campaign.filter(state__in=policy.ACTIVE).order_by("deadline", "slug")
    return [campaign for campaign in active if await needs_an_owner(campaign)]


async def team_account(username: str, *, field: str = "username") -> Organiser:
    """The account named `username`, if it may be on a campaign's team; refused otherwise."""
    try:
        name = normalise_username(username)
    except AccountError:
        name = ""
    organiser = await Organiser.get_or_none(username=name) if name else None
    if organiser is None:
        raise Refused(
            {field: _("There is no account %(name)s.") % {"name": username.strip()}},
            code="unknown_account",
        )
    if organiser.role not in TEAM_ROLES:
        raise Refused(
            {
                field: _("%(name)s is not an organiser or admin account: it cannot run a campaign.")
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
                    "%(name)s has not set up its own key yet (enrolment): it cannot be on a "
                    "campaign's team until its holder has."
                )
                % {"name": organiser.username}
            },
            code="not_enrolled",
        )
    return organiser


def _only_owner(campaign: Campaign, acting: Organiser | None) -> None:
    if acting is not None and not _is_owner(campaign, acting):
        raise Refused(
            _("Only the campaign's owner can change its team."), status=403, code="not_owner"
        )


async def add_member(campaign: Campaign, username: str, *, acting: Organiser | None) -> Organiser:
    """Add a co-organiser. `acting` is the signed-in owner (None: the operator's command line).

    Refused on a team with no enabled member: a newcomer there would read the pledges unseen by
    the signers, which only `assign_owner`, announced to them, may bring about.
    """
    _only_owner(campaign, acting)
    organiser = await team_account(username)
    if await is_on_team(campaign, organiser):
        raise Refused(
            {"username": _("%(name)s is already on this campaign's team.") % {"name": username}},
            status=409,
            code="already_on_team",
        )
    if not await has_enabled_member(campaign):
        raise Refused(
            _(
                "Nobody on this campaign's team can receive its pledges. An administrator "
                "assigns a new owner instead, which every signer is told about."
            ),
            status=409,
            code="team_waiting_for_owner",
        )
    await CampaignMember.create(campaign_id=campaign.id, organiser_id=organiser.id)
    return organiser


async def remove_member(campaign: Campaign, username: str, *, acting: Organiser | None) -> None:
    """Remove a co-organiser: they see none of the campaign's pages, nor any later reveal."""
    _only_owner(campaign, acting)
    try:
        name = normalise_username(username)
    except AccountError:
        name = ""
    organiser = await Organiser.get_or_none(username=name) if name else None
    if organiser is not None and _is_owner(campaign, organiser):
        raise Refused(
            {"username": _("The owner cannot be removed from the team.")},
            status=409,
            code="owner_not_removable",
        )
    removed = 0
    if organiser is not None:
        removed = await CampaignMember.filter(
            campaign_id=campaign.id, organiser_id=organiser.id
        ).delete()
    if not removed:
        raise Refused(
            {"username": _("%(name)s is not on this campaign's team.") % {"name": username}},
            status=404,
            code="not_on_team",
        )


def owner_notice_hours(campaign: Campaign) -> int:
    return max(campaign.cooling_off_hours, MIN_OWNER_NOTICE_HOURS)


async def assign_owner(
    campaign: Campaign, username: str, *, now: datetime | None = None
) -> Campaign:
    """An administrator's act: give a campaign whose team can receive nothing a new owner.

    Only while nobody on the team can receive pledges, or the campaign has no owner (otherwise
    the owner decides who joins),
    and only before the reveal. The week is recorded for the public page and every signer's
    status page, and no reveal may happen for one cooling-off period (at least
    MIN_OWNER_NOTICE_HOURS), the moment rounded up to the hour.
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
    if not await needs_an_owner(campaign):
        raise Refused(
            _(
                "This campaign's team can still receive its pledges: its owner changes the team, "
                "not an administrator."
            ),
            status=409,
            code="team_has_members",
        )
    not_before = clock.hour_up(now + timedelta(hours=owner_notice_hours(campaign)))
    async with in_transaction() as connection:
        # Conditional on the state: never while a reveal is under way (`reveal` claims with the
        # same row, and its claim requires `reveal_not_before` to have passed).
        moved = (
            await Campaign.filter(id=campaign.id, state__in=policy.ACTIVE)
            .using_db(connection)
            .update(
                owner_id=organiser.id,
                owner_assigned_week=week_of(now),
                reveal_not_before=not_before,
            )
        )
        if moved != 1:
            raise Refused(
                _("This campaign changed state meanwhile; look at it again."),
                status=409,
                code="campaign_changed",
            )
        await (
            CampaignMember.filter(campaign_id=campaign.id, organiser_id=organiser.id)
            .using_db(connection)
            .delete()
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
