"""The JSON twins of the worker pages, under /api/v1. Same rules: no session, no cookie.

Errors are `{"error": {"code", "message"}}` with a 4xx status (see organise.web.errors).
"""

from __future__ import annotations

import functools
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.campaigns import deadlines, policy, receipts, release, signing, standing, ticker
from organise.campaigns.fields import PLEDGE, RECEIPT
from organise.campaigns.models import Audience, Campaign, CampaignState, InviteMode
from organise.campaigns.pages import campaign_or_404, right_code, right_receipt
from organise.runtime import runtime
from organise.submissions import tokens
from organise.web import limits
from organise.web.access import public
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented


def progress_json(shown: policy.Progress) -> dict[str, Any]:
    """The stage by name, the facts behind it, and both sentences the pages show.

    `reached` is true only once the pledges whose own thresholds are met reach the campaign's
    threshold: never while personal thresholds hold the reveal back.
    """
    data: dict[str, Any] = {
        "state": shown.stage.value,
        "display": shown.display.value,
        "text": shown.text,
        "state_text": shown.state_text,
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
        # The same words in other languages (language -> {"title", "demand"}).
        "translations": campaign.translations,
        "employer": campaign.employer,
        "contract": campaign.contract,
        "threshold": campaign.threshold,
        "deadline": campaign.deadline.isoformat(),
        "state": campaign.state.value,
        "progress": progress_json(await standing.progress(campaign)),
        "invite_only": campaign.invite_mode == InviteMode.INVITE,
        "cooling_off_hours": campaign.cooling_off_hours,
        "audience": campaign.audience.value,
        "gate": policy.gate_description(policy.gate_policy(campaign)),
    }
    if campaign.state == CampaignState.REVEALED:
        data["revealed_count"] = campaign.revealed_count
        data["list_destroyed"] = campaign.release_destroyed
        if campaign.audience == Audience.PUBLIC:
            data["listed_signers"] = await release.public_names(
                campaign, keystore=runtime(request).keystore
            )
    if campaign.state in (CampaignState.EXPIRED, CampaignState.REVEALED):
        data["destroyed_unread"] = campaign.destroyed_count
    if campaign.stopped:
        data["stopped"] = True  # by its organisers, before its deadline
    if campaign.deadline_moved_from is not None:
        data["deadline_moved_from"] = campaign.deadline_moved_from.isoformat()
    data.update(owner_notice(campaign))
    return data


def owner_notice(campaign: Campaign) -> dict[str, str]:
    """What signers are told when an administrator gave the campaign a new owner."""
    if campaign.owner_assigned_week is None:
        return {}
    notice = {"owner_assigned_week": campaign.owner_assigned_week.isoformat()}
    if campaign.reveal_not_before is not None:
        notice["reveal_not_before"] = campaign.reveal_not_before.isoformat()
    return notice


@public
@documented(
    Operation(
        summary="A campaign: demand, threshold, deadline, state and progress.",
        answers={200: ("Campaign", "The campaign.")},
        refusals=(404,),
    )
)
async def campaign_detail(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    return JSONResponse(await campaign_json(request, campaign))


@public
@documented(
    Operation(
        summary="Sign a conditional pledge (an invite code is needed unless open).",
        answers={
            201: (
                "Signed",
                "Signed: the receipt (the same again for the same Idempotency-Key and body).",
            )
        },
        body=PLEDGE,
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 403, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def sign(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    token = tokens.api_token(request)
    data = await read_json_object(request)
    served = runtime(request)
    limits.retest_with(request, right_code(request, campaign, data.get("invite_code")))
    pledge = signing.PledgeInput(**PLEDGE.read_json(data))
    work = functools.partial(
        signing.sign, campaign, pledge, keystore=served.keystore, pepper=served.code_pepper
    )
    content = signing.pledge_content(campaign, pledge)
    signed = await tokens.once_per_token(
        request, token, content, work, signing.SIGNED, other_content="refuse"
    )
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
@documented(
    Operation(
        summary="A pledge's state, with its receipt.",
        answers={200: ("PledgeStatus", "The pledge's state.")},
        # The shared schema of a receipt in a body (reports use it too).
        body="Receipt",
        refusals=(400, 404, 413, 415, 429),
    )
)
@limits.counts_failures
async def status(request: Request) -> Response:
    data = await read_json_object(request)
    served = runtime(request)
    # A right receipt beside an unknown field is told about the field, never "wait".
    limits.retest_with(request, right_receipt(request, data.get("receipt")))
    receipt = RECEIPT.read_json(data)["receipt"]
    result = await receipts.status(receipt, keystore=served.keystore, pepper=served.code_pepper)
    body: dict[str, Any] = {
        "campaign": result.campaign.slug,
        "state": result.campaign.state.value,
        "pledge": result.pledge,
    }
    if result.cosigners is not None:
        body["cosigners"] = result.cosigners
    body.update(owner_notice(result.campaign))
    if result.list_destroyed:
        body["list_destroyed"] = True
    if result.own_deadline is not None:
        body["own_deadline"] = result.own_deadline.isoformat()
    return JSONResponse(body)


@public
@documented(
    Operation(
        summary="Keep a pledge until the campaign's new (extended) deadline, with its receipt.",
        answers={200: ("DeadlineKept", "The pledge now ends with the campaign's deadline.")},
        body="Receipt",
        refusals=(400, 404, 409, 413, 415, 429),
    )
)
@limits.counts_failures
async def keep_until_new_deadline(request: Request) -> Response:
    receipt = RECEIPT.read_json(await read_json_object(request))["receipt"]
    pledge = await deadlines.opt_in(receipt, pepper=runtime(request).code_pepper)
    return JSONResponse(
        {
            "campaign": pledge.campaign.slug,
            "deadline": pledge.deadline.isoformat() if pledge.deadline else None,
        }
    )


@public
@documented(
    Operation(
        summary="Withdraw a pledge before the reveal.",
        answers={200: ("Withdrawn", "Withdrawn; its key is deleted.")},
        body="Receipt",
        parameters=(tokens.IDEMPOTENCY_KEY_PARAMETER,),
        refusals=(400, 404, 409, 413, 415, 422, 429),
    )
)
@limits.counts_failures
async def withdraw(request: Request) -> Response:
    token = tokens.api_token(request)
    data = await read_json_object(request)
    served = runtime(request)
    limits.retest_with(request, right_receipt(request, data.get("receipt")))
    receipt = RECEIPT.read_json(data)["receipt"]
    work = functools.partial(
        receipts.withdraw, receipt, keystore=served.keystore, pepper=served.code_pepper
    )
    content = receipts.withdrawal_content(receipt)
    withdrawn = await tokens.once_per_token(
        request, token, content, work, receipts.WITHDRAWN, other_content="refuse"
    )
    return JSONResponse(
        {"withdrawn": True, "campaign": withdrawn.slug, "state": withdrawn.state.value}
    )


campaign_routes = [
    Route("/{slug}", campaign_detail, methods=["GET"], name="campaign"),
    Route("/{slug}/pledges", sign, methods=["POST"], name="sign"),
]

pledge_routes = [
    Route("/status", status, methods=["POST"], name="status"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/deadline", keep_until_new_deadline, methods=["POST"], name="deadline"),
]
