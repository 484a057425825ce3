"""One-time share link pages, for gatekeepers without an account (see `sharelinks`).

Public like the worker pages: no cookie, no JavaScript. A GET only asks for confirmation, so a
messenger's link preview uses nothing up; the share is shown in answer to a POST.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from crypto.qr import share_qr_svg
from organise.campaigns import gatekeeping, policy, sharelinks
from organise.campaigns.pages import page
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import public


def _gone(request: Request, refusal: Refused) -> Response:
    return page(
        request, "share_link.html", {"error": refusal.message, "step": "gone"}, refusal.status
    )


@public
async def confirm(request: Request) -> Response:
    secret = request.path_params["secret"]
    try:
        link = await sharelinks.find(secret, runtime(request).code_pepper)
    except Refused as refusal:
        return _gone(request, refusal)
    return page(
        request,
        "share_link.html",
        {
            "step": "confirm",
            "secret": secret,
            "campaign": link.campaign,
            "reveal_hold": await gatekeeping.hold_notice(link.campaign, runtime(request).clock()),
            "error": None,
        },
    )


@public
async def show(request: Request) -> Response:
    secret = request.path_params["secret"]
    served = runtime(request)
    try:
        shown = await sharelinks.show(secret, served.code_pepper, served.clock())
    except Refused as refusal:
        return _gone(request, refusal)
    campaign = shown.link.campaign
    return page(
        request,
        "share_link.html",
        {
            "step": "show",
            "secret": secret,
            "campaign": campaign,
            "words": shown.words,
            "qr": share_qr_svg(shown.words),
            "shown_before": shown.shown_before,
            "number": shown.link.number,
            "gate_description": policy.gate_description(policy.gate_policy(campaign)),
            "reveal_hold": await gatekeeping.hold_notice(campaign, served.clock()),
            "error": None,
        },
    )


@public
async def taken(request: Request) -> Response:
    secret = request.path_params["secret"]
    served = runtime(request)
    try:
        link = await sharelinks.confirm_taken(secret, served.code_pepper, served.clock())
    except Refused as refusal:
        return _gone(request, refusal)
    return page(
        request, "share_link.html", {"step": "done", "campaign": link.campaign, "error": None}
    )


routes = [
    Route("/{secret}", confirm, methods=["GET"], name="confirm"),
    Route("/{secret}", show, methods=["POST"], name="show"),
    Route("/{secret}/taken", taken, methods=["POST"], name="taken"),
]
