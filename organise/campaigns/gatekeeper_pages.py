"""A gatekeeper account's shares: which campaigns ask for them, and releasing one.

Gatekeeper accounts see only these pages and their own account page (organise.web.access).
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.campaigns import gatekeeping, heldshares, policy
from organise.campaigns.models import CampaignState
from organise.campaigns.pages import form_page
from organise.organisers import accounts
from organise.organisers.fields import SHARE_RELEASE
from organise.organisers.models import Role
from organise.refusal import Refused
from organise.runtime import runtime
from organise.web.access import organisers
from organise.web.forms import read_form


async def _list_page(
    request: Request, *, message: str | None = None, refusal: Refused | None = None
) -> Response:
    rows = await heldshares.held_by(request.state.organiser)
    now = runtime(request).clock()
    shares = [
        {
            "id": row.id,
            "campaign": row.campaign,
            "state_label": policy.state_label(row.campaign.state),
            "asked": row.campaign.state == CampaignState.AWAITING_GATE and not row.handed_in,
            "handed_in": row.handed_in,
            "ended": policy.share_no_longer_needed(row.campaign.state, stopped=row.campaign.stopped)
            if row.campaign.state in policy.ENDED
            else None,
            # Never "the gate is opening" while the reveal waits for the organisers' team.
            "reveal_hold": await gatekeeping.hold_notice(row.campaign, now),
        }
        for row in rows
    ]
    context = {"shares": shares, "message": message}
    return form_page(request, "organisers/held_shares.html", context, refusal)


@organisers(Role.GATEKEEPER)
async def held_shares(request: Request) -> Response:
    return await _list_page(request)


@organisers(Role.GATEKEEPER)
async def release(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        values = SHARE_RELEASE.read_form(form)
        outcome = await heldshares.release(
            request.path_params["share_id"],
            request.state.organiser,
            passphrase=values["passphrase"],
            totp_code=values["totp_code"],
            keystore=served.keystore,
            pepper=served.code_pepper,
            policy=accounts.ThrottlePolicy.of(served),
            field_key=served.totp_field_key,
            now=served.clock(),
        )
    except Refused as refusal:
        return await _list_page(request, refusal=refusal)
    # Each campaign on the page says why its reveal waits, if it does.
    message = gatekeeping.outcome_message(outcome, explain_hold=False)
    return await _list_page(request, message=message)


routes = [
    Route("/", held_shares, methods=["GET"], name="list"),
    Route("/{share_id}/release", release, methods=["POST"], name="release"),
]
