"""Where a campaign stands, from facts that hold now: its stage, its progress, and who could
reveal its pledges early.

Every page and answer that states a campaign's progress or how its reveal is guarded takes it
from here, so the campaign page, the status page, the organiser pages, the dashboard and
`GET /api/v1/campaigns/{slug}` say the same thing, and never more than is true.
"""

from __future__ import annotations

from enum import StrEnum

from organise.campaigns import policy, team
from organise.campaigns.models import Campaign, CampaignState, HeldShare, ShareLink


async def stage(campaign: Campaign) -> policy.Stage:
    """The campaign's stage (`policy.stage`), asking whether its team can receive a reveal only
    where that decides anything: once the threshold is reached and before the reveal."""
    can_receive = True
    if campaign.state in (CampaignState.COOLING_OFF, CampaignState.AWAITING_GATE):
        can_receive = await team.has_enabled_member(campaign)
    return policy.stage(campaign, team_can_receive=can_receive)


async def progress(campaign: Campaign) -> policy.Progress:
    return policy.progress(campaign, await stage(campaign))


class EarlyReveal(StrEnum):
    """Who could reveal the campaign's pledges before the gate is meant to open."""

    # Server alone: whoever runs the server with its keystore.
    SERVER = "server"
    # Gatekeepers whose shares were printed as paper sheets for the creating organiser, who
    # saw every one of them: that organiser (with the server's share where the gate needs it).
    PAPER = "paper"
    # Gatekeepers who received their shares directly: sealed to their own account, or through
    # a one-time link that shows whether it was opened. No single party holds enough.
    GATEKEEPERS = "gatekeepers"


async def early_reveal(campaign: Campaign) -> EarlyReveal:
    """How the campaign's gate shares were dealt, as far as the claim "no single party can
    reveal early" goes. The delivery is not a column: sealed shares and share links keep their
    rows (emptied once handed in or taken), and paper sheets leave none."""
    if policy.gatekeeper_shares_needed(policy.gate_policy(campaign)) == 0:
        return EarlyReveal.SERVER
    if await HeldShare.exists(campaign_id=campaign.id) or await ShareLink.exists(
        campaign_id=campaign.id
    ):
        return EarlyReveal.GATEKEEPERS
    return EarlyReveal.PAPER
