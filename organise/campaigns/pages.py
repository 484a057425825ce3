"""Worker pages: campaigns, signing, receipts, and the gatekeepers' form.

Every route here is `@public`: no session is read, no cookie is set, nothing needs JavaScript.
The receipt is shown once, on the answer to the signing form, and never again.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.campaigns import (
    deadlines,
    gatekeeping,
    policy,
    receipts,
    release,
    signing,
    team,
    ticker,
)
from organise.campaigns.fields import CONFIRM, PLEDGE, RECEIPT, SLUG_PATTERN
from organise.campaigns.models import Audience, Campaign, CampaignState, InviteMode
from organise.i18n import _
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import public
from organise.web.forms import read_form
from organise.web.templating import render


def page(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    return render(request, f"campaigns/{name}", context, status)


def no_campaign() -> Refused:
    """The one answer for a campaign that does not exist, or that this person may not see."""
    return team.not_found()


async def campaign_or_404(slug: str) -> Campaign:
    campaign = None
    if SLUG_PATTERN.fullmatch(slug):
        campaign = await Campaign.get_or_none(slug=slug)
    if campaign is None:
        raise no_campaign()
    return campaign


def paragraphs(text: str) -> list[str]:
    """The demand split on blank lines; line breaks inside a paragraph are kept by the CSS."""
    return [part.strip("\n") for part in re.split(r"\n[ \t]*\n", text.strip()) if part.strip()]


async def campaign_context(request: Request, campaign: Campaign) -> dict[str, Any]:
    gate = policy.gate_policy(campaign)
    names: list[str] = []
    if campaign.state == CampaignState.REVEALED and campaign.audience == Audience.PUBLIC:
        names = await release.public_names(campaign, keystore=runtime(request).keystore)
    return {
        "campaign": campaign,
        "demand": paragraphs(campaign.demand),
        "progress": policy.progress(campaign),
        "state_label": policy.campaign_state_label(campaign),
        "gate_description": gate_description(campaign),
        "needs_gatekeepers": policy.gatekeeper_shares_needed(gate) > 0,
        "audience_description": policy.audience_description(campaign.audience),
        "signable": campaign.state in policy.SIGNABLE,
        "public_names": names,
        "S": CampaignState,
        "Audience": Audience,
        "InviteMode": InviteMode,
    }


def gate_description(campaign: Campaign) -> str:
    return policy.gate_description(policy.gate_policy(campaign))


@public
async def index(request: Request) -> Response:
    active = await Campaign.filter(state__in=(*policy.ACTIVE, CampaignState.REVEALING)).order_by(
        "deadline", "slug"
    )
    ended = (
        await Campaign.filter(
            state__in=(CampaignState.REVEALED, CampaignState.EXPIRED), archived=False
        )
        .order_by("-deadline", "slug")
        .limit(50)
    )
    return page(
        request,
        "index.html",
        {
            "active": [(c, policy.progress(c), policy.state_label(c.state)) for c in active],
            "ended": [(c, policy.campaign_state_label(c)) for c in ended],
        },
    )


@public
async def campaign_page(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    return page(request, "campaign.html", await campaign_context(request, campaign))


def form_page(
    request: Request, name: str, context: dict[str, Any], refusal: Refused | None = None
) -> Response:
    """A page with a form, shown again with what was refused: the first reason, and each
    field's (what was typed is sent back to the same person only; nothing was stored)."""
    shown = {
        **context,
        "error": refusal.message if refusal else None,
        "errors": refusal.field_messages() if refusal else {},
    }
    return page(request, name, shown, refusal.status if refusal else 200)


@public
async def sign_form(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    context = await campaign_context(request, campaign)
    context["values"] = dict.fromkeys(PLEDGE.names, "")
    closed = None if context["signable"] else signing.closed_error(campaign)
    return form_page(request, "sign.html", context, closed)


@public
async def sign(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    form = await read_form(request)
    served = runtime(request)
    try:
        signing.refuse_if_closed(campaign)
        data = signing.PledgeInput(**PLEDGE.read_form(form))
        signed = await signing.sign(
            campaign, data, keystore=served.keystore, pepper=served.code_pepper
        )
    except Refused as refusal:
        context = await campaign_context(request, campaign)
        context["values"] = PLEDGE.typed_back(form)
        return form_page(request, "sign.html", context, refusal)
    if signed.threshold_reached:
        ticker.wake(request.app)
    return page(
        request,
        "signed.html",
        {
            "campaign": campaign,
            "receipt": signed.receipt,
            "invite_codes": signed.invite_codes,
            "state_label": policy.state_label(signed.state),
        },
    )


@public
async def confirmed(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    return page(request, "confirmed.html", {"campaign": campaign})


@public
async def status_form(request: Request) -> Response:
    return form_page(request, "status.html", {"result": None})


@public
async def status(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        receipt = RECEIPT.read_form(form)["receipt"]
        result = await receipts.status(receipt, keystore=served.keystore, pepper=served.code_pepper)
    except Refused as refusal:
        return form_page(request, "status.html", {"result": None}, refusal)
    return _status_page(request, result)


def _status_page(request: Request, result: receipts.PledgeStatus, **more: Any) -> Response:
    context = {
        "result": result,
        "progress": policy.progress(result.campaign),
        "state_label": policy.state_label(result.campaign.state),
        **more,
    }
    return form_page(request, "status.html", context)


@public
async def keep_deadline(request: Request) -> Response:
    """The signer opts in to the campaign's extended deadline (`deadlines.opt_in`)."""
    form = await read_form(request)
    served = runtime(request)
    try:
        if not CONFIRM.read_form(form)["confirm"]:
            raise Refused(
                {
                    "confirm": _(
                        "Tick the box to confirm that your pledge should count until the new "
                        "deadline."
                    )
                }
            )
        receipt = RECEIPT.read_form(form)["receipt"]
        await deadlines.opt_in(receipt, pepper=served.code_pepper)
        result = await receipts.status(receipt, keystore=served.keystore, pepper=served.code_pepper)
    except Refused as refusal:
        return form_page(request, "status.html", {"result": None}, refusal)
    return _status_page(request, result, deadline_kept=True)


@public
async def withdraw_form(request: Request) -> Response:
    return form_page(request, "withdraw.html", {"result": None})


@public
async def withdraw(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        if form.get("confirm") != "yes":
            raise Refused(
                {"confirm": _("Tick the box to confirm that you want to withdraw your pledge.")}
            )
        receipt = RECEIPT.read_form(form)["receipt"]
        campaign = await receipts.withdraw(
            receipt, keystore=served.keystore, pepper=served.code_pepper
        )
    except Refused as refusal:
        return form_page(request, "withdraw.html", {"result": None}, refusal)
    return form_page(request, "withdraw.html", {"result": campaign})


async def _gate_page(
    request: Request,
    campaign: Campaign,
    outcome: gatekeeping.ShareOutcome | None = None,
    refusal: Refused | None = None,
) -> Response:
    context = {
        **await campaign_context(request, campaign),
        "outcome": outcome,
        "outcome_message": gatekeeping.outcome_message(outcome) if outcome else None,
        # Said whenever the reveal waits for the organisers' team, never "the gate is opening".
        "reveal_hold": await gatekeeping.hold_notice(campaign, runtime(request).clock()),
    }
    return form_page(request, "gate.html", context, refusal)


@public
async def gate_form(request: Request) -> Response:
    return await _gate_page(request, await campaign_or_404(request.path_params["slug"]))


@public
async def gate_submit(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    form = await read_form(request)
    served = runtime(request)
    try:
        outcome = await gatekeeping.submit(
            campaign,
            str(form.get("share", "")),
            keystore=served.keystore,
            pepper=served.code_pepper,
        )
    except Refused as refusal:
        return await _gate_page(request, campaign, refusal=refusal)
    return await _gate_page(request, await Campaign.get(id=campaign.id), outcome)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/{slug}", campaign_page, methods=["GET"], name="campaign"),
    Route("/{slug}/sign", sign_form, methods=["GET"], name="sign_form"),
    Route("/{slug}/sign", sign, methods=["POST"], name="sign"),
    Route("/{slug}/confirmed", confirmed, methods=["GET"], name="confirmed"),
    Route("/{slug}/gate", gate_form, methods=["GET"], name="gate_form"),
    Route("/{slug}/gate", gate_submit, methods=["POST"], name="gate_submit"),
]

pledge_routes = [
    Route("/status", status_form, methods=["GET"], name="status_form"),
    Route("/status", status, methods=["POST"], name="status"),
    Route("/withdraw", withdraw_form, methods=["GET"], name="withdraw_form"),
    Route("/deadline", keep_deadline, methods=["POST"], name="deadline"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
]
