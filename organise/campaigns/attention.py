"""What campaigns ask of the people who run them and guard them (the account page's list).

- Team members (`team`): each unarchived campaign of theirs that reached its threshold
  (cooling-off, or waiting for its gatekeepers), whose deadline is within
  `SOON`, or whose revealed lists are destroyed within `SOON`; and each account a passphrase
  reset took off its team and that is not back on it.
- Admins: campaigns whose team nobody can receive pledges, or that have no owner
  (`team.waiting_for_owner`): names only, linked to the campaigns page where they may assign
  an owner, never to the campaign. (A team member who could sign in would be able to receive
  them: such a campaign's team has nobody to tell.)
- Gatekeeper accounts: each campaign waiting for the share sealed to them, until handed in.

Every line says what the campaign's own page already says to the same person, no finer: its
stage (never a count), its deadline and the hour its cooling-off ends as that page shows
them. Nothing here changes when a pledge is signed or withdrawn, unless the stage does.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from organise.attention import Asking, Item, on_page_of
from organise.campaigns import retention, standing, team
from organise.campaigns.models import Campaign, CampaignMember, CampaignState, HeldShare
from organise.campaigns.policy import ACTIVE, Stage
from organise.db import column_values
from organise.i18n import _
from organise.organisers.models import AuditAction, AuditEntry, Organiser
from organise.roles import Role

# How far ahead a deadline (or the end of the revealed lists' retention) is listed.
SOON = timedelta(days=7)


def _minute(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _detail(kind: str, campaign: Campaign, text: str) -> Item:
    return on_page_of(kind, text, "campaign_organisers:detail", campaign.slug, campaign.title)


async def _stage_item(campaign: Campaign) -> Item | None:
    shown = await standing.stage(campaign)
    title = campaign.title
    if shown == Stage.COOLING_OFF:
        ends = campaign.cooling_off_ends_at  # on a whole hour (`clock`), as its page shows it
        if ends is None:
            text = _(
                "%(campaign)s reached its threshold: cooling-off, while its signers can still "
                "withdraw."
            ) % {"campaign": title}
        else:
            text = _(
                "%(campaign)s reached its threshold: cooling-off until %(when)s, while its "
                "signers can still withdraw."
            ) % {"campaign": title, "when": ends.strftime("%Y-%m-%d %H:00 UTC")}
        return _detail("campaigns.cooling_off", campaign, text)
    if shown == Stage.WAITING_FOR_GATEKEEPERS:
        text = _(
            "%(campaign)s reached its threshold and waits for its gatekeepers' shares: its page "
            "shows which are in."
        ) % {"campaign": title}
        return _detail("campaigns.awaiting_gate", campaign, text)
    return None


def _deadline_item(campaign: Campaign, now: datetime) -> Item | None:
    if campaign.state not in ACTIVE or not now < campaign.deadline <= now + SOON:
        return None
    text = _(
        "The deadline of %(campaign)s is %(when)s: extend it, or every pledge not revealed by "
        "then is destroyed unread."
    ) % {"campaign": campaign.title, "when": _minute(campaign.deadline)}
    return _detail("campaigns.deadline", campaign, text)


def _retention_item(campaign: Campaign, now: datetime) -> Item | None:
    ends = retention.ends_at(campaign)
    if ends is None or not now < ends <= now + SOON:
        return None
    return Item(
        kind="campaigns.retention",
        text=_(
            "The revealed pledges of %(campaign)s are destroyed on %(when)s: keep what your "
            "team needs before then."
        )
        % {"campaign": campaign.title, "when": ends.strftime("%Y-%m-%d")},
        route="campaign_organisers:pledges",
        params=(("slug", campaign.slug),),
        link_text=_("Revealed pledges of %(campaign)s") % {"campaign": campaign.title},
    )


async def _left_by_reset(campaigns: list[Campaign], organiser: Organiser) -> list[Item]:
    """An account a reset took off one of these teams, still not back on it (its owner
    re-adds it after checking its new fingerprint; an admin assigns a new owner)."""
    by_id = {campaign.id: campaign for campaign in campaigns}
    entries = await AuditEntry.filter(
        action=AuditAction.LEFT_TEAM_BY_RESET, campaign_id__in=list(by_id)
    ).order_by("subject")
    if not entries:
        return []
    still_there = set(
        await column_values(Organiser.filter(id__in=[e.subject_id for e in entries]), "id")
    )
    on_team = {
        (row[0], row[1])
        for row in await CampaignMember.filter(campaign_id__in=list(by_id)).values_list(
            "campaign_id", "organiser_id"
        )
    }
    items: dict[tuple[str, str], Item] = {}
    for entry in entries:
        campaign = by_id.get(entry.campaign_id) if entry.campaign_id else None
        if (
            campaign is None
            or entry.subject_id not in still_there
            or entry.subject_id == organiser.id
            or entry.subject_id == campaign.owner_id  # type: ignore[attr-defined]
            or (campaign.id, entry.subject_id) in on_team
        ):
            continue
        items[(campaign.slug, entry.subject)] = _detail(
            "campaigns.left_by_reset",
            campaign,
            _(
                "%(name)s left the team of %(campaign)s when its passphrase was reset (an admin "
                "held the reset code). The owner adds it again after checking its new "
                "fingerprint words with its holder by another channel; if it was the owner, an "
                "admin assigns a new owner, which every signer is told."
            )
            % {"name": entry.subject, "campaign": campaign.title},
        )
    return [items[key] for key in sorted(items)]


async def for_team(asking: Asking[Organiser]) -> list[Item]:
    """The campaigns whose team this account is on."""
    organiser = asking.account
    if organiser.role not in team.TEAM_ROLES:
        return []
    campaigns = [c for c in await team.campaigns_of(organiser) if not c.archived]
    items: list[Item] = []
    for campaign in campaigns:
        for item in (
            await _stage_item(campaign),
            _deadline_item(campaign, asking.now),
            _retention_item(campaign, asking.now),
        ):
            if item is not None:
                items.append(item)
    return items + await _left_by_reset(campaigns, organiser)


def _needs_owner_text(campaign: Campaign) -> str:
    names = {"campaign": campaign.title, "slug": campaign.slug}
    if campaign.owner_id is None:  # type: ignore[attr-defined]
        return (
            _(
                "%(campaign)s (%(slug)s) has no owner: nobody can change its team until an "
                "administrator assigns one."
            )
            % names
        )
    return (
        _("%(campaign)s (%(slug)s) waits for an owner: nobody on its team can receive its pledges.")
        % names
    )


async def for_admins(asking: Asking[Organiser]) -> list[Item]:
    """Campaigns waiting for an owner, by name, for admins (who may assign one)."""
    if asking.account.role != Role.ADMIN:
        return []
    return [
        Item(
            kind="campaigns.needs_owner",
            text=_needs_owner_text(campaign),
            route="campaign_organisers:list",
            link_text=_("Assign an owner"),
            fragment="waiting",
        )
        for campaign in await team.waiting_for_owner()
    ]


async def _share_text(campaign: Campaign, now: datetime) -> str:
    if await team.reveal_hold(campaign, now) is not None:
        # As its shares page says: the gate is not opening for anyone yet.
        return _(
            "%(campaign)s reached its threshold, but its reveal waits for its organisers' team: "
            "you may hand in your share now, or wait; your shares page says why."
        ) % {"campaign": campaign.title}
    return _(
        "%(campaign)s asks for your share: it reached its threshold and its cooling-off is over."
    ) % {"campaign": campaign.title}


async def for_gatekeepers(asking: Asking[Organiser]) -> list[Item]:
    """Each campaign asking this gatekeeper for the share sealed to it, until handed in."""
    asked = await HeldShare.filter(
        organiser_id=asking.account.id,
        handed_in=False,
        sealed_share__isnull=False,
        campaign__state=CampaignState.AWAITING_GATE,
    ).prefetch_related("campaign")
    return [
        Item(
            kind="campaigns.share_asked",
            text=await _share_text(held.campaign, asking.now),
            route="held_shares:list",
            link_text=_("Hand in your share"),
        )
        for held in sorted(asked, key=lambda held: held.campaign.title)
    ]


SOURCES = [for_team, for_admins, for_gatekeepers]
