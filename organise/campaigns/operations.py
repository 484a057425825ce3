"""What a campaign's team may do to a running or finished campaign: stop it, edit its wording
before anyone signed, archive it. (Invite codes are revoked in `invites`, deadlines moved in
`deadlines`.)

Each function takes the acting organiser and enforces the team rule itself (anyone else is
told there is no such campaign, as on the pages), and raises `Refused` with a readable reason:
a web page, the command line or a JSON handler calls it as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from organise.campaigns import lifecycle, policy, team
from organise.campaigns.models import Campaign, CampaignState, Pledge
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused

FINISHED = (CampaignState.REVEALED, CampaignState.EXPIRED)


def _not_active(campaign: Campaign) -> Refused:
    if campaign.state in (CampaignState.REVEALED, CampaignState.REVEALING):
        message = _(
            "This campaign has been revealed, or its reveal is under way: it can no longer "
            "be stopped."
        )
    else:
        message = _("This campaign has already ended.")
    return Refused(message, status=409, code="campaign_closed")


async def stop(
    campaign: Campaign, *, acting: Organiser, keystore: Keystore, now: datetime | None = None
) -> Campaign:
    """Stop a campaign early: destroyed exactly as at an expired deadline (`lifecycle.expire`).

    Every pledge row and key, the server's gate share and handed-in shares are deleted, and the
    public page says it was stopped by its organisers, with the number destroyed unread.
    Refused once revealed or while a reveal is under way (the conditional update decides).
    """
    now = now or datetime.now(UTC)
    await team.require_team(campaign, acting)
    if campaign.state not in policy.ACTIVE:
        raise _not_active(campaign)
    if campaign.deadline <= now:
        # Its deadline already ended it: expired, as the next tick would say, not stopped.
        await lifecycle.expire(campaign.id, keystore=keystore, now=now)
        raise _not_active(await Campaign.get(id=campaign.id))
    if not await lifecycle.expire(campaign.id, keystore=keystore, now=now, stopped=True):
        raise _not_active(await Campaign.get(id=campaign.id))
    return await Campaign.get(id=campaign.id)


def _terms_fixed() -> Refused:
    return Refused(
        _(
            "People have signed this campaign: what they agreed to can no longer change. To "
            "change it, start a new campaign."
        ),
        status=409,
        code="terms_fixed",
    )


async def editable(campaign: Campaign) -> bool:
    """Whether the title and demand may still change: open, and nobody has a pledge in it."""
    return (
        campaign.state == CampaignState.OPEN
        and campaign.pledge_count == 0
        and not await Pledge.exists(campaign_id=campaign.id)
    )


async def edit_wording(
    campaign: Campaign,
    *,
    title: str,
    demand: str,
    acting: Organiser,
    translations: Mapping[str, Mapping[str, str]] | None = None,
) -> Campaign:
    """Change the title and demand (and their translations, None: unchanged), only before the
    first pledge; nothing else ever changes. A signer pledged under the words they read, in
    whichever language, so the translations are fixed with the rest."""
    await team.require_team(campaign, acting)
    if not await editable(campaign):
        raise _terms_fixed()
    async with in_transaction() as connection:
        # Conditional on the count, which a signature raises under the row's lock.
        moved = (
            await Campaign.filter(id=campaign.id, state=CampaignState.OPEN, pledge_count=0)
            .using_db(connection)
            .update(
                title=title,
                demand=demand,
                translations=(
                    campaign.translations
                    if translations is None
                    else {code: dict(texts) for code, texts in translations.items()}
                ),
            )
        )
        if moved != 1 or await Pledge.filter(campaign_id=campaign.id).using_db(connection).exists():
            raise _terms_fixed()
    return await Campaign.get(id=campaign.id)


async def archive(campaign: Campaign, *, acting: Organiser, archived: bool = True) -> Campaign:
    """Take a finished campaign off the lists (or put it back); its pages stay."""
    await team.require_team(campaign, acting)
    if campaign.state not in FINISHED:
        raise Refused(
            _("Only a finished campaign (revealed, expired or stopped) can be archived."),
            status=409,
            code="campaign_not_finished",
        )
    await Campaign.filter(id=campaign.id).update(archived=archived)
    campaign.archived = archived
    return campaign
