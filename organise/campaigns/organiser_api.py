"""The organisers' JSON API for campaigns, under /api/v1/organiser/campaigns.

The JSON twin of the organiser pages (`organiser_pages`), for scripts holding an API token
(`Authorization: Bearer ...`; a browser session works too). The same roles, the same team rule
(`organiser_pages.team_campaign_or_404`: anyone off the team, administrators included, gets the
404 of a campaign that does not exist) and the same domain calls (`setup`, `operations`,
`deadlines`, `invites`, `team`): no rule is written twice. The team is checked before the body
is read, so an outsider learns nothing from how a body is refused.

Bodies are read with the field tables of `fields` (the OpenAPI document publishes them); where
a page asks to tick a box because the consequence is destructive (stopping, revoking codes),
the body carries `"confirm": true`. Reading revealed pledges needs the organiser's private key,
which only a browser session holds: a token is told to read them on the page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from tortoise.backends.base.client import BaseDBAsyncClient

from organise.campaigns import deadlines, invites, operations, team
from organise.campaigns.api import campaign_json, progress_json
from organise.campaigns.csv_export import COLUMNS
from organise.campaigns.fields import (
    CAMPAIGN_CREATE,
    CAMPAIGN_PAGE,
    CAMPAIGN_PATCH,
    EXTEND_INPUT,
    INVITES_INPUT,
    REVOKE_INPUT,
    STOP_INPUT,
    TEAM_CHANGE,
)
from organise.campaigns.heldshares import Holder
from organise.campaigns.models import Campaign, LifecycleEvent
from organise.campaigns.organiser_pages import MANAGERS, revealed_records, team_campaign_or_404
from organise.campaigns.setup import (
    CreatedCampaign,
    create_campaign,
    share_delivery,
    spec_from_values,
)
from organise.campaigns.standing import progress
from organise.i18n import _
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.once import Outcomes, Record, content, run_once
from organise.web.access import organisers
from organise.web.addresses import printed_urls
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented, organiser_write
from organise.weeks import week_of

# What a campaign's team may not change once it is created (`operations`: after the first
# pledge nothing changes; before it, only the title and demand), and where to go instead.
_FIXED = CAMPAIGN_PAGE.names - CAMPAIGN_PATCH.names


def _fixed_field(name: str) -> Refused:
    if name == "deadline":
        message = _(
            "The deadline is moved with POST /api/v1/organiser/campaigns/{slug}/extend: it "
            "only moves later, and pledges signed so far keep theirs."
        )
    else:
        message = _(
            "%(field)s never changes once a campaign exists (only the title and demand, before "
            "the first pledge, and the archive flag). To change it, start a new campaign."
        ) % {"field": name}
    return Refused({name: message}, code="not_changeable")


def _summary(campaign: Campaign) -> dict[str, Any]:
    return {
        "slug": campaign.slug,
        "title": campaign.title,
        "state": campaign.state.value,
        "deadline": campaign.deadline.isoformat(),
    }


async def organiser_campaign_json(request: Request, campaign: Campaign) -> dict[str, Any]:
    """What the campaign's page shows its team: the public answer, with the team, the named
    batches (never a count of codes), the lifecycle log to the week and what may change."""
    data = await campaign_json(request, campaign)
    owner = await team.owner_of(campaign)
    events = await LifecycleEvent.filter(campaign_id=campaign.id).order_by("at", "kind")
    data.update(
        {
            "archived": campaign.archived,
            "editable": await operations.editable(campaign),
            "owner": owner.username if owner is not None else None,
            "members": [member.username for member in await team.members(campaign)],
            "invite_mode": campaign.invite_mode.value,
            "onward_invites": campaign.onward_invites,
            "invite_depth": campaign.invite_depth,
            "keep_revealed_days": campaign.keep_revealed_days,
            "batches": [
                {"name": batch.name, "week": batch.week.isoformat(), "revoked": batch.revoked}
                for batch in await invites.batches(campaign)
            ],
            # To the week: a threshold event's exact time is that of a signature.
            "events": [
                {"week": week_of(event.at).isoformat(), "kind": event.kind.value}
                | ({} if event.count is None else {"count": event.count})
                for event in events
            ],
        }
    )
    return data


async def _answer(request: Request, campaign: Campaign) -> Response:
    """The campaign as it is now, after an operation."""
    fresh = await Campaign.get(id=campaign.id)
    return JSONResponse(await organiser_campaign_json(request, fresh))


def _holder_json(holder: Holder) -> dict[str, str]:
    return {"username": holder.username, "fingerprint": holder.fingerprint}


@dataclass(frozen=True)
class Created:
    """What the answer to a new campaign shows, kept (encrypted, at most 48 hours) for an
    Idempotency-Key sent again: the campaign, and the shares or links shown only then."""

    campaign_id: str
    gatekeeper_shares: tuple[str, ...]
    share_links: tuple[str, ...]
    gatekeepers: tuple[Holder, ...]

    @classmethod
    def of(cls, made: CreatedCampaign) -> Created:
        return cls(
            campaign_id=str(made.campaign.id),
            gatekeeper_shares=made.gatekeeper_shares,
            share_links=made.share_links,
            gatekeepers=made.holders,
        )


CREATED: Outcomes[Created] = Outcomes(
    keep=lambda created: {
        "campaign_id": created.campaign_id,
        "gatekeeper_shares": list(created.gatekeeper_shares),
        "share_links": list(created.share_links),
        "gatekeepers": [_holder_json(holder) for holder in created.gatekeepers],
    },
    shown_again=lambda kept: Created(
        campaign_id=kept["campaign_id"],
        gatekeeper_shares=tuple(kept["gatekeeper_shares"]),
        share_links=tuple(kept["share_links"]),
        gatekeepers=tuple(Holder(**holder) for holder in kept["gatekeepers"]),
    ),
)

_CAMPAIGN_ANSWER = {200: ("OrganiserCampaign", "The campaign, as its team sees it.")}


@organisers(*MANAGERS)
@documented(
    Operation(
        summary="The campaigns whose team this account is on (and, for administrators, the "
        "campaigns waiting for an owner: names only).",
        answers={200: ("OrganiserCampaigns", "The campaigns, newest first.")},
        refusals=(401, 403),
        organisers_only=True,
    )
)
async def list_campaigns(request: Request) -> Response:
    organiser = request.state.organiser
    campaigns = []
    for campaign in await team.campaigns_of(organiser):
        shown = progress_json(await progress(campaign))
        campaigns.append(_summary(campaign) | {"archived": campaign.archived, "progress": shown})
    body: dict[str, Any] = {"campaigns": campaigns}
    if organiser.role == Role.ADMIN:
        body["waiting_for_owner"] = [_summary(c) for c in await team.waiting_for_owner()]
    return JSONResponse(body)


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "Create a campaign; this account is its owner. Gatekeeper shares dealt on "
        "paper, and one-time share links, are in this answer only.",
        {201: ("CampaignCreated", "Created.")},
        body=CAMPAIGN_CREATE,
        refusals=(400, 401, 403, 409, 413, 415, 422),
    )
)
async def create(request: Request) -> Response:
    token = tokens.api_token(request)
    values = CAMPAIGN_CREATE.read_json(await read_json_object(request))
    spec = spec_from_values(values)
    served = runtime(request)
    acting = request.state.organiser
    # The same key and body from another account is another request: never its answer.
    once = await tokens.submission(
        request, token, content("organiser_campaign", {**values, "acting": str(acting.id)})
    )

    async def work(*, remember: Record[Created] | None) -> Created:
        async def record(connection: BaseDBAsyncClient, made: CreatedCampaign) -> None:
            if remember is not None:
                await remember(connection, Created.of(made))

        made = await create_campaign(
            spec,
            owner=acting,
            keystore=served.keystore,
            pepper=served.code_pepper,
            delivery=share_delivery(values, spec),
            remember=record,
        )
        return Created.of(made)

    created = await run_once(once, work, CREATED, other_content="refuse")
    campaign = await Campaign.get(id=created.campaign_id)
    body = {
        "campaign": await organiser_campaign_json(request, campaign),
        "gatekeeper_shares": list(created.gatekeeper_shares),
        "share_links": [
            printed_urls(request, "share_links:confirm", secret=secret)[0]
            for secret in created.share_links
        ],
        "gatekeepers": [_holder_json(holder) for holder in created.gatekeepers],
    }
    return JSONResponse(body, status_code=201)


@organisers(*MANAGERS)
@documented(
    Operation(
        summary="A campaign, for its team.",
        answers=_CAMPAIGN_ANSWER,
        refusals=(401, 403, 404),
        organisers_only=True,
    )
)
async def detail(request: Request) -> Response:
    return await _answer(request, await team_campaign_or_404(request))


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "Change the title, demand and translations (only before the first pledge) or the archive "
        "flag (only once finished). Any other field is refused, named.",
        _CAMPAIGN_ANSWER,
        body=CAMPAIGN_PATCH,
        keyed=False,
    )
)
async def change(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    data = await read_json_object(request)
    fixed = sorted(_FIXED & set(data))
    if fixed:
        raise _fixed_field(fixed[0])
    values = CAMPAIGN_PATCH.read_json(data)
    wording = {name for name in ("title", "demand", "translations") if data.get(name) is not None}
    for name in sorted(wording - {"translations"}):
        if not values[name]:
            raise Refused(
                {name: _("%(label)s cannot be empty.") % {"label": CAMPAIGN_PATCH[name].label}},
                code="missing_field",
            )
    archiving = data.get("archived") is not None
    if not wording and not archiving:
        raise Refused(
            _("Nothing to change: send title, demand, translations or archived."),
            code="nothing_to_change",
        )
    if wording and archiving:
        # The wording changes only while open, the flag only once finished: never together.
        raise Refused(
            {"archived": _("Change the wording or the archive flag, in two requests.")},
            code="one_change_at_a_time",
        )
    acting = request.state.organiser
    if archiving:
        await operations.archive(campaign, acting=acting, archived=values["archived"])
    else:
        await operations.edit_wording(
            campaign,
            title=values["title"] if "title" in wording else campaign.title,
            demand=values["demand"] if "demand" in wording else campaign.demand,
            translations=values["translations"] if "translations" in wording else None,
            acting=acting,
        )
    return await _answer(request, campaign)


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "New invite codes, optionally as a named batch (the name stays with the team, "
        "never on a slip). The codes are in this answer only.",
        {201: ("InviteCodes", "The codes.")},
        body=INVITES_INPUT,
    )
)
async def make_invites(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    token = tokens.api_token(request)
    wanted = INVITES_INPUT.read_json(await read_json_object(request))
    minted = {**wanted, "campaign": str(campaign.id), "acting": str(request.state.organiser.id)}
    once = await tokens.submission(request, token, content("organiser_invites", minted))
    work = functools.partial(
        invites.generate,
        campaign,
        wanted["count"],
        pepper=runtime(request).code_pepper,
        batch=wanted["batch"],
    )
    codes = await run_once(once, work, invites.MINTED, other_content="refuse")
    return JSONResponse({"codes": codes, "batch": wanted["batch"] or None}, status_code=201)


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "Revoke invite codes, or a named batch: revoked codes are refused like used "
        "ones. The answer is the same whether or not a code had been used.",
        {200: ("Revoked", "Whatever of these was this campaign's can no longer sign.")},
        body=REVOKE_INPUT,
        keyed=False,
        refusals=(400, 401, 403, 404, 413, 415, 422),
    )
)
async def revoke(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    values = REVOKE_INPUT.read_json(await read_json_object(request))
    acting = request.state.organiser
    if values["batch"]:
        found = await invites.revoke_batch(campaign, values["batch"], acting=acting)
        return JSONResponse({"revoked": True, "batch": found.name})
    await invites.revoke_codes(
        campaign, values["codes"], acting=acting, pepper=runtime(request).code_pepper, field="codes"
    )
    return JSONResponse({"revoked": True})


@organisers(*MANAGERS)
@documented(
    organiser_write(
        'Stop the campaign now (needs "confirm": true): every pledge is destroyed '
        "unread, as at an expired deadline. Refused once revealed or revealing.",
        _CAMPAIGN_ANSWER,
        body=STOP_INPUT,
        keyed=False,
    )
)
async def stop(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    STOP_INPUT.read_json(await read_json_object(request))
    stopped = await operations.stop(
        campaign, acting=request.state.organiser, keystore=runtime(request).keystore
    )
    return await _answer(request, stopped)


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "Move the deadline later. Pledges signed so far keep their own deadline unless "
        "their signers opt in with their receipt.",
        _CAMPAIGN_ANSWER,
        body=EXTEND_INPUT,
        keyed=False,
    )
)
async def extend(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    values = EXTEND_INPUT.read_json(await read_json_object(request))
    moved = await deadlines.extend_deadline(
        campaign, values["deadline"], acting=request.state.organiser
    )
    return await _answer(request, moved)


@organisers(*MANAGERS)
@documented(
    Operation(
        summary="The revealed pledges, for a team member signed in with a browser session "
        "(their private key opens them). An API token carries no key: refused, 403 "
        "needs_session; read them on the campaign's page.",
        answers={200: ("RevealedPledges", "Every revealed pledge, in alphabetical order.")},
        refusals=(401, 403, 404, 409, 410),
        organisers_only=True,
    )
)
async def pledges(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    if request.state.session is None:
        raise Refused(
            _(
                "Reading revealed pledges needs your private key, which an API token does not "
                "carry. Sign in and read them on the campaign's page: %(path)s"
            )
            % {"path": f"/organisers/campaigns/{campaign.slug}/pledges"},
            status=403,
            code="needs_session",
        )
    records = await revealed_records(request, campaign)
    return JSONResponse(
        {"pledges": [{column: record.get(column) for column in COLUMNS} for record in records]}
    )


def _named(refusal: Refused, field: str) -> Refused:
    """A team refusal about "username" said of the body's own field ("add" or "remove")."""
    errors = {field if name == "username" else name: text for name, text in refusal.errors.items()}
    return Refused(errors, status=refusal.status, code=refusal.code, headers=refusal.headers)


@organisers(*MANAGERS)
@documented(
    organiser_write(
        "Add or remove a co-organiser (the owner only).",
        {200: ("Team", "The team now.")},
        body=TEAM_CHANGE,
        keyed=False,
    )
)
async def change_team(request: Request) -> Response:
    campaign = await team_campaign_or_404(request)
    values = TEAM_CHANGE.read_json(await read_json_object(request))
    acting = request.state.organiser
    field = "add" if values["add"] else "remove"
    try:
        if field == "add":
            await team.add_member(campaign, values["add"], acting=acting)
        else:
            await team.remove_member(campaign, values["remove"], acting=acting)
    except Refused as refusal:
        raise _named(refusal, field) from None
    owner = await team.owner_of(campaign)
    return JSONResponse(
        {
            "owner": owner.username if owner is not None else None,
            "members": [member.username for member in await team.members(campaign)],
        }
    )


PREFIX = "/api/v1/organiser/campaigns"
# The collection, at the prefix itself (no trailing slash).
collection_routes = [
    Route(PREFIX, list_campaigns, methods=["GET"], name="api_organiser_campaigns"),
    Route(PREFIX, create, methods=["POST"], name="api_organiser_campaigns_create"),
]
# One campaign, mounted at the prefix (routes.py).
campaign_routes = [
    Route("/{slug}", detail, methods=["GET"], name="detail"),
    Route("/{slug}", change, methods=["PATCH"], name="change"),
    Route("/{slug}/invites", make_invites, methods=["POST"], name="invites"),
    Route("/{slug}/invites/revoke", revoke, methods=["POST"], name="revoke"),
    Route("/{slug}/stop", stop, methods=["POST"], name="stop"),
    Route("/{slug}/extend", extend, methods=["POST"], name="extend"),
    Route("/{slug}/team", change_team, methods=["POST"], name="team"),
    Route("/{slug}/pledges", pledges, methods=["GET"], name="pledges"),
]
