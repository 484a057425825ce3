"""Organiser pages: create campaigns, hand out invite codes, follow progress, read the reveal.

A campaign's pages answer its team only (`team_campaign_or_404`): anyone else, administrators
included, gets the same 404 as for a campaign that does not exist.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto.errors import EnvelopeError, StreamError
from crypto.qr import share_qr_svg
from organise.campaigns import (
    csv_export,
    heldshares,
    invites,
    policy,
    release,
    retention,
    sharelinks,
    team,
)
from organise.campaigns.fields import (
    CAMPAIGN_PAGE,
    INVITES,
    MAX_BATCH,
    OWNER_ASSIGNMENT,
    SHARE_DELIVERY,
    TEAM_MEMBER,
)
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    InviteMode,
    LifecycleEvent,
    ProgressDisplay,
)
from organise.campaigns.pages import campaign_or_404, form_page, no_campaign, page, paragraphs
from organise.campaigns.setup import PAPER, ShareDelivery, create_campaign, spec_from_values
from organise.i18n import _
from organise.organisers import enrolment
from organise.organisers.models import Organiser, Role
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import organisers
from organise.web.addresses import absolute_url, printed_urls
from organise.web.forms import read_form
from organise.weeks import week_of

# The roles that may be on a team; which campaign a person may see, its team decides.
MANAGERS = team.TEAM_ROLES
FORM_DEFAULTS = {
    "cooling_off_hours": str(policy.DEFAULT_COOLING_OFF_HOURS),
    "audience": Audience.ORGANISERS.value,
    "invite_mode": InviteMode.INVITE.value,
    "onward_invites": "0",
    "invite_depth": str(policy.DEFAULT_INVITE_DEPTH),
    "keep_revealed_days": str(policy.DEFAULT_KEEP_REVEALED_DAYS),
    "progress_display": ProgressDisplay.EXACT.value,
    "gate_mode": "server",
    "gatekeepers": "3",
    "gatekeepers_required": "2",
}


def _choices() -> dict[str, Any]:
    return {
        "Audience": Audience,
        "InviteMode": InviteMode,
        "ProgressDisplay": ProgressDisplay,
        "max_onward": policy.MAX_ONWARD_INVITES,
        "max_depth": policy.MAX_INVITE_DEPTH,
        "min_keep": policy.MIN_KEEP_REVEALED_DAYS,
        "max_keep": policy.MAX_KEEP_REVEALED_DAYS,
        "max_cooling_off": policy.MAX_COOLING_OFF_HOURS,
        "min_threshold": policy.MIN_THRESHOLD,
    }


async def team_campaign_or_404(request: Request) -> Campaign:
    """The campaign at this address, if the signed-in organiser is on its team; else 404."""
    campaign = await campaign_or_404(request.path_params["slug"])
    if not await team.is_on_team(campaign, request.state.organiser):
        raise no_campaign()
    return campaign


async def _list_page(
    request: Request, *, refusal: Refused | None = None, message: str | None = None
) -> Response:
    organiser = request.state.organiser
    campaigns = await team.campaigns_of(organiser)
    # Administrators see which campaigns have nobody to seal a reveal to (names and numbers
    # only: never their pages), so that one of them can assign a new owner.
    waiting = await team.waiting_for_owner() if organiser.role == Role.ADMIN else []
    return form_page(
        request,
        "organisers/list.html",
        {
            "campaigns": [(c, policy.state_label(c.state)) for c in campaigns],
            "waiting": [(c, policy.state_label(c.state)) for c in waiting],
            "message": message,
        },
        refusal,
    )


@organisers(*MANAGERS)
async def list_campaigns(request: Request) -> Response:
    return await _list_page(request)


@organisers(Role.ADMIN)
async def assign_owner(request: Request) -> Response:
    try:
        wanted = OWNER_ASSIGNMENT.read_form(await read_form(request))
        campaign = await campaign_or_404(wanted["slug"].strip().lower())
        campaign = await team.assign_owner(campaign, wanted["username"])
    except Refused as refusal:
        return await _list_page(request, refusal=refusal)
    return await _list_page(
        request,
        message=_(
            "%(name)s now owns %(title)s. Its public page and every signer's status page say "
            "so, and it reveals nothing before %(when)s."
        )
        % {
            "name": wanted["username"].strip().lower(),
            "title": campaign.title,
            "when": f"{campaign.reveal_not_before:%Y-%m-%d %H:%M} UTC",
        },
    )


def _new_page(request: Request, values: dict[str, Any], refusal: Refused | None = None) -> Response:
    return form_page(request, "organisers/new.html", {"values": values, **_choices()}, refusal)


async def _new_page_with_gatekeepers(
    request: Request, values: dict[str, Any], refusal: Refused | None = None
) -> Response:
    # The enrolled gatekeeper accounts, each with the fingerprint words its holder confirms.
    gatekeeper_accounts = [
        (o.username, enrolment.fingerprint(o))
        for o in await Organiser.filter(
            role=Role.GATEKEEPER, enrolled=True, public_key__isnull=False
        ).order_by("username")
    ]
    return form_page(
        request,
        "organisers/new.html",
        {"values": values, "gatekeeper_accounts": gatekeeper_accounts, **_choices()},
        refusal,
    )


@organisers(*MANAGERS)
async def new_form(request: Request) -> Response:
    defaults = dict.fromkeys(CAMPAIGN_PAGE.names | SHARE_DELIVERY.names, "") | FORM_DEFAULTS
    return await _new_page_with_gatekeepers(request, defaults | {"share_delivery": "links"})


def _delivery(values: dict[str, Any], gated: bool) -> ShareDelivery:
    # A form without the choice (an older page) keeps the paper sheets it always showed.
    chosen = values["share_delivery"] or "paper"
    if not gated or chosen == "paper":
        return PAPER
    if chosen == "links":
        return ShareDelivery(links=True)
    named = tuple(heldshares.parse_usernames(values["gatekeeper_accounts"] or ""))
    if not named:
        raise Refused(
            {"gatekeeper_accounts": _("Name the gatekeeper accounts, separated by commas.")},
            code="gatekeeper_accounts_invalid",
        )
    return ShareDelivery(gatekeeper_accounts=named)


@organisers(*MANAGERS)
async def create(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        spec = spec_from_values(CAMPAIGN_PAGE.read_form(form))
        delivery = _delivery(SHARE_DELIVERY.read_form(form), spec.gate.mode != "server")
        created = await create_campaign(
            spec,
            owner=request.state.organiser,
            keystore=served.keystore,
            pepper=served.code_pepper,
            delivery=delivery,
        )
    except Refused as refusal:
        typed = CAMPAIGN_PAGE.typed_back(form) | SHARE_DELIVERY.typed_back(form)
        return await _new_page_with_gatekeepers(request, typed, refusal)
    campaign = created.campaign
    if created.holders or created.share_links:
        links = [
            # Sent on to each gatekeeper: the public address, whichever one made it.
            printed_urls(request, "share_links:confirm", secret=secret)[0]
            for secret in created.share_links
        ]
        return page(
            request,
            "organisers/delivered.html",
            {
                "campaign": campaign,
                "holders": created.holders,
                "links": links,
                "gate_description": policy.gate_description(policy.gate_policy(campaign)),
            },
        )
    if not created.gatekeeper_shares:
        return RedirectResponse(
            absolute_url(request, "campaign_organisers:detail", slug=campaign.slug), status_code=303
        )
    shares = [(words, share_qr_svg(words)) for words in created.gatekeeper_shares]
    return page(
        request,
        "organisers/shares.html",
        {
            "campaign": campaign,
            "shares": shares,
            "gate_description": policy.gate_description(policy.gate_policy(campaign)),
        },
    )


async def _detail_page(
    request: Request, campaign: Campaign, *, refusal: Refused | None = None
) -> Response:
    events = await LifecycleEvent.filter(campaign_id=campaign.id).order_by("at", "kind")
    return form_page(
        request,
        "organisers/detail.html",
        {
            "campaign": campaign,
            "demand": paragraphs(campaign.demand),
            "state_label": policy.state_label(campaign.state),
            "progress": policy.progress(campaign),
            "gate_description": policy.gate_description(policy.gate_policy(campaign)),
            "audience_description": policy.audience_description(campaign.audience),
            "unused_invites": await invites.unused_count(campaign),
            "chain_risk": policy.campaign_chain_risk(campaign),
            "release_ends": retention.ends_at(campaign),
            # Event times to the week only: a threshold event's exact time is the time of the
            # signature or withdrawal that caused it.
            "events": [
                (week_of(event.at), policy.event_label(event.kind), event.count) for event in events
            ],
            "cooling_off_ends": campaign.cooling_off_ends_at,  # on a whole hour (`clock`)
            "share_holders": await heldshares.holders_for(campaign),
            "share_links": await sharelinks.status_of(campaign.id),
            "can_invite": campaign.invite_mode == InviteMode.INVITE
            and campaign.state in policy.SIGNABLE,
            "max_batch": MAX_BATCH,
            "S": CampaignState,
            "owner": await team.owner_of(campaign),
            "members": await team.members(campaign),
            "is_owner": campaign.owner_id == request.state.organiser.id,  # type: ignore[attr-defined]
            "reveal_not_before": campaign.reveal_not_before,
        },
        refusal,
    )


@organisers(*MANAGERS)
async def detail(request: Request) -> Response:
    return await _detail_page(request, await team_campaign_or_404(request))


async def _change_team(request: Request, change: str) -> Response:
    campaign = await team_campaign_or_404(request)
    try:
        username = TEAM_MEMBER.read_form(await read_form(request))["username"]
        if change == "add":
            await team.add_member(campaign, username, acting=request.state.organiser)
        else:
            await team.remove_member(campaign, username, acting=request.state.organiser)
    except Refused as refusal:
        return await _detail_page(request, campaign, refusal=refusal)
    return RedirectResponse(
        absolute_url(request, "campaign_organisers:detail", slug=campaign.slug), status_code=303
    )


@organisers(*MANAGERS)
async def add_member(request: Request) -> Response:
    return await _change_team(request, "add")


@organisers(*MANAGERS)
async def remove_member(request: Request) -> Response:
    return await _change_team(request, "remove")


@organisers(*MANAGERS)
async def make_invites(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    wanted = INVITES.read_form(await read_form(request))
    codes = await invites.generate(campaign, wanted["count"], pepper=runtime(request).code_pepper)
    if wanted["format"] == "csv":
        body = "invite_code\r\n" + "".join(f"{csv_export.neutralise(c)}\r\n" for c in codes)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{campaign.slug}-invites.csv"'},
        )
    return page(
        request,
        "organisers/invites.html",
        {
            "campaign": campaign,
            "codes": codes,
            "sign_urls": printed_urls(request, "campaigns:sign_form", slug=campaign.slug),
        },
    )


async def _revealed_records(request: Request, campaign: Campaign) -> list[dict[str, Any]]:
    if campaign.state != CampaignState.REVEALED:
        raise Refused(
            _("This campaign has not been revealed: its pledges cannot be read by anyone yet."),
            status=409,
            code="not_revealed",
        )
    if campaign.release_destroyed:
        raise release.destroyed()
    if campaign.released_to_organisers is None:
        raise Refused(
            _("Nobody was on the campaign's team at the moment of the reveal: nobody can read it."),
            status=409,
            code="no_recipients",
        )
    try:
        release_key = await release.release_key_of(campaign, runtime(request).keystore)
        return await release.open_for_organiser(
            campaign, organiser_private_key(request), release_key
        )
    except StreamError:
        # Read whole before answering: a damaged result is refused, never shown short.
        raise Refused(
            _(
                "The revealed pledges stored in the database are incomplete or have been "
                "altered. Restore the database from a backup."
            ),
            status=409,
            code="release_damaged",
        ) from None
    except EnvelopeError:
        raise Refused(
            _(
                "The revealed pledges were sealed to the campaign's team as it was at the "
                "moment of the reveal; this account was not on it."
            ),
            status=403,
            code="not_a_recipient",
        ) from None


@organisers(*MANAGERS)
async def pledges(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    records = await _revealed_records(request, campaign)
    return page(request, "organisers/pledges.html", {"campaign": campaign, "records": records})


@organisers(*MANAGERS)
async def pledges_csv(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    records = await _revealed_records(request, campaign)
    return Response(
        csv_export.to_csv(records),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{campaign.slug}-pledges.csv"'},
    )


routes = [
    Route("/", list_campaigns, methods=["GET"], name="list"),
    Route("/new", new_form, methods=["GET"], name="new_form"),
    Route("/new", create, methods=["POST"], name="create"),
    Route("/owners", assign_owner, methods=["POST"], name="assign_owner"),
    Route("/{slug}", detail, methods=["GET"], name="detail"),
    Route("/{slug}/invites", make_invites, methods=["POST"], name="invites"),
    Route("/{slug}/team/add", add_member, methods=["POST"], name="team_add"),
    Route("/{slug}/team/remove", remove_member, methods=["POST"], name="team_remove"),
    Route("/{slug}/pledges", pledges, methods=["GET"], name="pledges"),
    Route("/{slug}/pledges.csv", pledges_csv, methods=["GET"], name="pledges_csv"),
]
