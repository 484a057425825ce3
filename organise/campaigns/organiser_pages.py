"""Organiser pages: create campaigns, hand out invite codes, follow progress, read the reveal.

A campaign's pages answer its team only (`team_campaign_or_404`): anyone else, administrators
included, gets the same 404 as for a campaign that does not exist.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from crypto.errors import EnvelopeError, StreamError
from crypto.qr import address_qr_svg, share_qr_svg
from organise.campaigns import (
    csv_export,
    deadlines,
    heldshares,
    invites,
    operations,
    policy,
    release,
    retention,
    sharelinks,
    standing,
    team,
)
from organise.campaigns.fields import (
    CAMPAIGN_PAGE,
    CONFIRM,
    EDIT,
    EXTEND,
    INVITES,
    MAX_BATCH,
    MAX_BATCH_NAME_CHARS,
    OWNER_ASSIGNMENT,
    PRINTING,
    REVOKE,
    SHARE_DELIVERY,
    TEAM_MEMBER,
    print_language,
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
from organise.campaigns.setup import create_campaign, share_delivery, spec_from_values
from organise.fields import FieldTable, FormData
from organise.i18n import _, text_direction, written
from organise.i18n.scope import in_language
from organise.organisers import enrolment
from organise.organisers.models import Organiser
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import runtime
from organise.web.access import organisers
from organise.web.addresses import absolute_url, printed_urls
from organise.web.forms import read_form
from organise.web.templating import render_fragment
from organise.weeks import week_of


def _print_language(request: Request, form: FormData) -> str:
    """The language the organiser picked for printed sheets: one the site serves."""
    language = print_language(PRINTING.read_form(form))
    if language not in runtime(request).settings.languages:
        raise Refused(
            {"print_language": _("This site does not serve pages in that language.")},
            code="unknown_language",
        )
    return language


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
    everyone = await team.campaigns_of(organiser)
    # Archived campaigns leave the main list; they stay reachable below it.
    campaigns = [c for c in everyone if not c.archived]
    archived = [c for c in everyone if c.archived]
    # Administrators see which campaigns have nobody to seal a reveal to (names and numbers
    # only: never their pages), so that one of them can assign a new owner.
    waiting = await team.waiting_for_owner() if organiser.role == Role.ADMIN else []
    return form_page(
        request,
        "organisers/list.html",
        {
            "campaigns": [(c, (await standing.progress(c)).state_text) for c in campaigns],
            "waiting": [(c, policy.state_label(c.state)) for c in waiting],
            "archived": archived,
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
        campaign = await team.assign_owner(
            campaign, wanted["username"], acting=request.state.organiser
        )
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


# Fields another page may fill in ahead (`?title=...&demand=...&threshold=...`), e.g. a closed
# survey's "Start a pledge campaign": only shown in the form, checked when it is sent.
PREFILLED = ("title", "demand", "threshold", "employer", "contract")
MAX_PREFILL_CHARS = 10_000


@organisers(*MANAGERS)
async def new_form(request: Request) -> Response:
    defaults = dict.fromkeys(CAMPAIGN_PAGE.names | SHARE_DELIVERY.names, "") | FORM_DEFAULTS
    prefilled = {
        name: request.query_params[name][:MAX_PREFILL_CHARS]
        for name in PREFILLED
        if name in request.query_params
    }
    return await _new_page_with_gatekeepers(
        request, defaults | {"share_delivery": "links"} | prefilled
    )


@organisers(*MANAGERS)
async def create(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        language = _print_language(request, form)
        spec = spec_from_values(CAMPAIGN_PAGE.read_form(form))
        delivery = share_delivery(SHARE_DELIVERY.read_form(form), spec)
        created = await create_campaign(
            spec,
            owner=request.state.organiser,
            keystore=served.keystore,
            pepper=served.code_pepper,
            delivery=delivery,
        )
    except Refused as refusal:
        typed = (
            CAMPAIGN_PAGE.typed_back(form)
            | SHARE_DELIVERY.typed_back(form)
            | PRINTING.typed_back(form)
        )
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
    with in_language(language):
        sheets = render_fragment(
            request,
            "campaigns/gatekeeper_sheets.html",
            {"campaign": campaign, "shares": shares, "print_language": language},
        )
    return page(
        request,
        "organisers/shares.html",
        {
            "campaign": campaign,
            "sheets": sheets,
            "print_language": language,
            "print_direction": text_direction(language),
            "gate_description": policy.gate_description(policy.gate_policy(campaign)),
        },
    )


async def _detail_page(
    request: Request,
    campaign: Campaign,
    *,
    refusal: Refused | None = None,
    message: str | None = None,
) -> Response:
    events = await LifecycleEvent.filter(campaign_id=campaign.id).order_by("at", "kind")
    shown = await standing.progress(campaign)
    return form_page(
        request,
        "organisers/detail.html",
        {
            "campaign": campaign,
            "demand": paragraphs(campaign.demand),
            "translation_values": written.form_values(campaign.translations),
            "state_label": shown.state_text,
            "progress": shown,
            "gate_description": policy.gate_description(policy.gate_policy(campaign)),
            "audience_description": policy.audience_description(campaign.audience),
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
            "message": message,
            # What the team may still do (`operations`, `deadlines`, `invites`).
            "batches": await invites.batches(campaign),
            "max_batch_name": MAX_BATCH_NAME_CHARS,
            "editable": await operations.editable(campaign),
            "active": campaign.state in policy.ACTIVE,
            "finished": campaign.state in operations.FINISHED,
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
    try:
        form = await read_form(request)
        wanted = INVITES.read_form(form)
        language = _print_language(request, form)
        codes = await invites.generate(
            campaign,
            wanted["count"],
            pepper=runtime(request).code_pepper,
            batch=wanted["batch"] or "",
        )
    except Refused as refusal:
        return await _detail_page(request, campaign, refusal=refusal)
    if wanted["format"] == "csv":
        body = "invite_code\r\n" + "".join(f"{csv_export.neutralise(c)}\r\n" for c in codes)
        return Response(
            body,
            media_type="text/csv; charset=utf-8",
            headers={"content-disposition": f'attachment; filename="{campaign.slug}-invites.csv"'},
        )
    # The slip's QR code holds the campaign's public address only, never a code: a phone's
    # camera would open it in its default browser and keep it in its history and sync. The
    # onion address, when there is one, is the one the QR code holds (Tor Browser reads it).
    # Without a language prefix, whatever the slip's language: its QR code opens the address in
    # the phone's usual browser, whose history must not also say which language its holder
    # reads (docs/languages.md). The page there has the language menu.
    addresses = printed_urls(request, "campaigns:campaign", slug=campaign.slug)
    # The slips in the language chosen; the codes are the same in every language.
    with in_language(language):
        slips = render_fragment(
            request,
            "campaigns/invite_slips.html",
            {
                "campaign": campaign,
                "codes": codes,
                "addresses": addresses,
                "address_qr": address_qr_svg(addresses[-1]),
            },
        )
    return page(
        request,
        "organisers/invites.html",
        {
            "campaign": campaign,
            "slips": slips,
            "print_language": language,
            "print_direction": text_direction(language),
        },
    )


Operation = Callable[[Campaign, dict[str, Any]], Awaitable[str]]


async def _operate(
    request: Request, table: FieldTable, consequence: str, work: Operation
) -> Response:
    """Read the form, insist on its confirmation box (whose label names the consequence), do the
    work and show the campaign's page again with what happened, or with what was refused."""
    campaign = await team_campaign_or_404(request)
    try:
        values = table.read_form(await read_form(request))
        if not values["confirm"]:
            raise Refused({"confirm": consequence}, code="not_confirmed")
        said = await work(campaign, values)
    except Refused as refusal:
        return await _detail_page(request, campaign, refusal=refusal)
    return await _detail_page(request, await Campaign.get(id=campaign.id), message=said)


@organisers(*MANAGERS)
async def revoke(request: Request) -> Response:
    acting = request.state.organiser

    async def work(campaign: Campaign, values: dict[str, Any]) -> str:
        if values["batch"]:
            found = await invites.revoke_batch(campaign, values["batch"], acting=acting)
            return _("Batch %(name)s is revoked: none of its codes can be used to sign now.") % {
                "name": found.name
            }
        if not values["code"]:
            raise Refused({"code": _("Type the code to revoke, or choose a batch.")})
        await invites.revoke_code(
            campaign, values["code"], acting=acting, pepper=runtime(request).code_pepper
        )
        return _("Done: if this code belonged to this campaign, nobody can sign with it now.")

    return await _operate(
        request,
        REVOKE,
        _("Tick the box to confirm: whoever holds these codes will no longer be able to sign."),
        work,
    )


@organisers(*MANAGERS)
async def stop(request: Request) -> Response:
    async def work(campaign: Campaign, values: dict[str, Any]) -> str:
        stopped = await operations.stop(
            campaign, acting=request.state.organiser, keystore=runtime(request).keystore
        )
        return _("The campaign is stopped: %(n)d pledges were destroyed unread.") % {
            "n": stopped.destroyed_count
        }

    return await _operate(
        request,
        CONFIRM,
        _(
            "Tick the box to confirm: every pledge is destroyed unread, for good, and the "
            "campaign ends."
        ),
        work,
    )


@organisers(*MANAGERS)
async def extend(request: Request) -> Response:
    async def work(campaign: Campaign, values: dict[str, Any]) -> str:
        moved = await deadlines.extend_deadline(
            campaign, values["deadline"], acting=request.state.organiser
        )
        return _(
            "The deadline is now %(new)s. Pledges signed before keep %(old)s unless their "
            "signers choose the new one with their receipt."
        ) % {
            "new": f"{moved.deadline:%Y-%m-%d %H:%M} UTC",
            "old": f"{campaign.deadline:%Y-%m-%d %H:%M} UTC",
        }

    return await _operate(
        request,
        EXTEND,
        _(
            "Tick the box to confirm: pledges signed so far keep their deadline unless their "
            "signers opt in, and are destroyed at it."
        ),
        work,
    )


@organisers(*MANAGERS)
async def edit(request: Request) -> Response:
    async def work(campaign: Campaign, values: dict[str, Any]) -> str:
        await operations.edit_wording(
            campaign,
            title=values["title"],
            demand=values["demand"],
            translations=values["translations"],
            acting=request.state.organiser,
        )
        return _("Saved: the public page shows the new wording.")

    return await _operate(
        request,
        EDIT,
        _("Tick the box to confirm: the public page and the signing form change."),
        work,
    )


@organisers(*MANAGERS)
async def archive(request: Request) -> Response:
    async def work(campaign: Campaign, values: dict[str, Any]) -> str:
        await operations.archive(campaign, acting=request.state.organiser)
        return _("Archived: the campaign is off the campaign lists; its pages stay.")

    return await _operate(
        request,
        CONFIRM,
        _("Tick the box to confirm: the campaign leaves the campaign lists."),
        work,
    )


async def revealed_records(request: Request, campaign: Campaign) -> list[dict[str, Any]]:
    """The revealed pledges, opened with the signed-in organiser's private key (the page, its
    CSV and the organisers' JSON API)."""
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
    records = await revealed_records(request, campaign)
    return page(request, "organisers/pledges.html", {"campaign": campaign, "records": records})


@organisers(*MANAGERS)
async def pledges_csv(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    records = await revealed_records(request, campaign)
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
    Route("/{slug}/revoke", revoke, methods=["POST"], name="revoke"),
    Route("/{slug}/stop", stop, methods=["POST"], name="stop"),
    Route("/{slug}/extend", extend, methods=["POST"], name="extend"),
    Route("/{slug}/edit", edit, methods=["POST"], name="edit"),
    Route("/{slug}/archive", archive, methods=["POST"], name="archive"),
    Route("/{slug}/team/add", add_member, methods=["POST"], name="team_add"),
    Route("/{slug}/team/remove", remove_member, methods=["POST"], name="team_remove"),
    Route("/{slug}/pledges", pledges, methods=["GET"], name="pledges"),
    Route("/{slug}/pledges.csv", pledges_csv, methods=["GET"], name="pledges_csv"),
]
