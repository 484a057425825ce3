"""What a passphrase reset costs an account, and who may not be reset.

A reset is an admin's answer to a forgotten passphrase: a one-time code (24 hours) with which
the holder chooses a new passphrase and gets a **new key pair** (`enrolment.redeem`). The admin
held the code, so the new key is not trusted with anything yet: the account leaves every
campaign team (the owner re-adds it after checking its new fingerprint words; a campaign it
owned waits for an admin to assign an owner, announced to its signers) and every survey team
(a survey it owned keeps only its co-organisers, and waits for an admin to assign an owner;
with nobody on its team at the close, its text answers are destroyed unread), and its copy of the
report inbox key goes (it was sealed to the old key; a holder gives it again). What was sealed
to the old key (revealed pledge lists, the old inbox grant) cannot be opened with the new one.
"""

from __future__ import annotations

from datetime import datetime

from organise.campaigns.models import Campaign, CampaignMember, CampaignState, HeldShare
from organise.db import column_values
from organise.i18n import _l
from organise.organisers import audit, sessions
from organise.organisers.errors import AccountError
from organise.organisers.models import AuditAction, Organiser
from organise.reports.models import InboxGrant
from organise.surveys.models import Survey, SurveyMember

# A campaign in one of these states may still need its gatekeepers' shares.
UNFINISHED = (
    CampaignState.OPEN,
    CampaignState.COOLING_OFF,
    CampaignState.AWAITING_GATE,
    CampaignState.REVEALING,
)


async def gatekeeping(organiser: Organiser) -> list[str]:
    """The slugs of unfinished campaigns for which this account holds a gatekeeper share."""
    held = HeldShare.filter(organiser_id=organiser.id, campaign__state__in=UNFINISHED)
    return sorted(await column_values(held, "campaign__slug"))


async def refuse_if_gatekeeper(organiser: Organiser, what: str) -> None:
    """Refused while the account holds a share an unfinished campaign's reveal may need.

    Removing, disabling or resetting it would stall that reveal until the deadline destroys
    every pledge. `what` is the act refused, for the message ("removed", "disabled", "reset").
    """
    slugs = await gatekeeping(organiser)
    if slugs:
        raise AccountError(
            _l(
                "%(name)s holds a gatekeeper share of %(campaigns)s, still unfinished: it "
                "cannot be %(what)s until then, or that reveal would stall until the deadline "
                "destroys every pledge.",
                name=organiser.username,
                campaigns=", ".join(slugs),
                what=what,
            ),
            code="gatekeeper_of_unfinished_campaign",
            status=409,
        )


async def leave_everything(organiser: Organiser, *, now: datetime) -> list[Campaign]:
    """At a reset's redemption (in its transaction): off every team, no inbox key, signed out.

    Returns the campaigns it left; each is also in the audit log, for their owners' attention,
    and so is each survey it left ("survey SLUG"), for the administrators'.
    """
    joined = await column_values(CampaignMember.filter(organiser_id=organiser.id), "campaign_id")
    left = await Campaign.filter(id__in=joined) if joined else []
    owned = await Campaign.filter(owner_id=organiser.id)
    await CampaignMember.filter(organiser_id=organiser.id).delete()
    if owned:
        await Campaign.filter(owner_id=organiser.id).update(owner_id=None)
    surveys_joined = await column_values(
        SurveyMember.filter(organiser_id=organiser.id), "survey_id"
    )
    surveys_owned = await column_values(Survey.filter(owner_id=organiser.id), "slug")
    surveys_left = await column_values(Survey.filter(id__in=surveys_joined), "slug")
    await SurveyMember.filter(organiser_id=organiser.id).delete()
    await Survey.filter(owner_id=organiser.id).update(owner_id=None)
    for slug in sorted([*surveys_left, *surveys_owned]):
        await audit.record(
            AuditAction.LEFT_TEAM_BY_RESET,
            organiser,
            acting=organiser,
            now=now,
            detail=f"survey {slug}" + (" (owner)" if slug in surveys_owned else ""),
        )
    await InboxGrant.filter(organiser_id=organiser.id).delete()
    await sessions.end_access(organiser)
    campaigns = sorted([*left, *owned], key=lambda campaign: campaign.slug)
    for campaign in campaigns:
        await audit.record(
            AuditAction.LEFT_TEAM_BY_RESET,
            organiser,
            acting=organiser,
            now=now,
            detail=campaign.slug + (" (owner)" if campaign in owned else ""),
            campaign_id=campaign.id,
        )
    return campaigns
