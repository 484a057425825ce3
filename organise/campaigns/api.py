"""The JSON twins of the worker pages, under /api/v1. Same rules: no session, no cookie.

Errors are `{"error": {"code", "message"}}` with a 4xx status (see organise.web.errors).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.campaigns import policy, receipts, release, signing, ticker
from organise.campaigns.errors import CampaignError
from organise.campaigns.models import Audience, Campaign, CampaignState, InviteMode
from organise.campaigns.views import campaign_or_404
from organise.web.access import public
from organise.web.errors import RequestRefused
from organise.web.jsonbody import bool_field, int_field, read_json_object, text_field

# Generous caps at the JSON layer; the signing service applies the real limits with clear words.
_TEXT_CAPS = {
    "name": signing.MAX_NAME_CHARS,
    "contact": signing.MAX_CONTACT_CHARS,
    "team": signing.MAX_TEAM_CHARS,
    "message": signing.MAX_MESSAGE_CHARS,
    "invite_code": signing.MAX_CODE_CHARS,
}


def refused(error: CampaignError) -> RequestRefused:
    return RequestRefused(error.status, error.message, error.code)


def progress_json(campaign: Campaign) -> dict[str, Any]:
    shown = policy.progress(campaign)
    data: dict[str, Any] = {
        "display": shown.display.value,
        "text": shown.text,
        "reached": shown.reached,
    }
    if shown.count is not None:
        data["count"] = shown.count
    else:
        data["lower"] = shown.lower
        data["upper"] = shown.upper
    return data


async def campaign_json(request: Request, campaign: Campaign) -> dict[str, Any]:
    data: dict[str, Any] = {
        "slug": campaign.slug,
        "title": campaign.title,
        "demand": campaign.demand,
        "employer": campaign.employer,
        "contract": campaign.contract,
        "threshold": campaign.threshold,
        "deadline": campaign.deadline.isoformat(),
        "state": campaign.state.value,
        "progress": progress_json(campaign),
        "invite_only": campaign.invite_mode == InviteMode.INVITE,
        "cooling_off_hours": campaign.cooling_off_hours,
        "audience": campaign.audience.value,
        "gate": policy.gate_description(policy.gate_policy(campaign)),
    }
    if campaign.state == CampaignState.REVEALED:
        data["revealed_count"] = campaign.revealed_count
        if campaign.audience == Audience.PUBLIC:
            data["listed_signers"] = await release.public_names(
                campaign, keystore=request.app.state.keystore
            )
    if campaign.state in (CampaignState.EXPIRED, CampaignState.REVEALED):
        data["destroyed_unread"] = campaign.destroyed_count
    return data


@public
async def campaign_detail(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    return JSONResponse(await campaign_json(request, campaign))


@public
async def sign(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    data = await read_json_object(request)
    texts = {
        name: text_field(data, name, max_chars=cap, required=name == "name")
        for name, cap in _TEXT_CAPS.items()
    }
    personal = int_field(
        data, "personal_threshold", minimum=campaign.threshold, maximum=policy.MAX_THRESHOLD
    )
    pledge = signing.PledgeInput(
        personal_threshold=personal, list_publicly=bool_field(data, "list_publicly"), **texts
    )
    state = request.app.state
    try:
        signed = await signing.sign(
            campaign, pledge, keystore=state.keystore, pepper=state.code_pepper
        )
    except CampaignError as error:
        raise refused(error) from None
    if signed.threshold_reached:
        ticker.wake(request.app)
    return JSONResponse(
        {
            "receipt": signed.receipt,
            "invite_codes": signed.invite_codes,
            "state": signed.state.value,
        },
        status_code=201,
    )


@public
async def status(request: Request) -> Response:
    data = await read_json_object(request)
    receipt = text_field(data, "receipt", max_chars=signing.MAX_RECEIPT_CHARS, required=True)
    state = request.app.state
    try:
        result = await receipts.status(receipt, keystore=state.keystore, pepper=state.code_pepper)
    except CampaignError as error:
        raise refused(error) from None
    body: dict[str, Any] = {
        "campaign": result.campaign.slug,
        "state": result.campaign.state.value,
        "pledge": result.pledge,
    }
    if result.cosigners is not None:
        body["cosigners"] = result.cosigners
    return JSONResponse(body)


@public
async def withdraw(request: Request) -> Response:
    data = await read_json_object(request)
    receipt = text_field(data, "receipt", max_chars=signing.MAX_RECEIPT_CHARS, required=True)
    state = request.app.state
    try:
        campaign = await receipts.withdraw(
            receipt, keystore=state.keystore, pepper=state.code_pepper
        )
    except CampaignError as error:
        raise refused(error) from None
    return JSONResponse(
        {"withdrawn": True, "campaign": campaign.slug, "state": campaign.state.value}
    )


campaign_routes = [
    Route("/{slug}", campaign_detail, methods=["GET"], name="campaign"),
    Route("/{slug}/pledges", sign, methods=["POST"], name="sign"),
]

pledge_routes = [
    Route("/status", status, methods=["POST"], name="status"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
]
