"""Worker pages: campaigns, signing, receipts, and the gatekeepers' form.

Every route here is `@public`: no session is read, no cookie is set, nothing needs JavaScript.
The receipt is shown on the answer to the signing form; the same form sent again with its
submission token (a reload, or Back and send) shows the same receipt, until the signer confirms
they wrote it down (organise/submissions).
"""

from __future__ import annotations

import functools
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
    standing,
    team,
    ticker,
)
from organise.campaigns.fields import CONFIRM, MAX_CODE_CHARS, PLEDGE, RECEIPT, SLUG_PATTERN
from organise.campaigns.models import Audience, Campaign, CampaignState, InviteMode
from organise.fields import FormData
from organise.i18n import _, written
from organise.refusal import Refused
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.confirmation import (
    last_two_words_match,
    shown_receipt,
    wrong_last_words,
)
from organise.web import limits
from organise.web.access import public
from organise.web.forms import read_form
from organise.web.templating import render


def page(
    request: Request,
    name: str,
    context: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    return render(request, f"campaigns/{name}", context, status, headers)


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


def right_code(request: Request, campaign: Campaign, code: object) -> limits.Probe:
    """For `limits.failure`: whether the request's invite code is right after all."""
    pepper = runtime(request).code_pepper
    return lambda: signing.code_is_valid(campaign, code, pepper)


def right_receipt(request: Request, receipt: object) -> limits.Probe:
    """For `limits.failure`: whether the request's receipt is a pledge's after all."""
    pepper = runtime(request).code_pepper
    return lambda: receipts.is_known(receipt, pepper=pepper)


def paragraphs(text: str) -> list[str]:
    """The demand split on blank lines; line breaks inside a paragraph are kept by the CSS."""
    return [part.strip("\n") for part in re.split(r"\n[ \t]*\n", text.strip()) if part.strip()]


async def campaign_context(request: Request, campaign: Campaign) -> dict[str, Any]:
    gate = policy.gate_policy(campaign)
    names: list[str] = []
    if campaign.state == CampaignState.REVEALED and campaign.audience == Audience.PUBLIC:
        names = await release.public_names(campaign, keystore=runtime(request).keystore)
    shown = await standing.progress(campaign)
    words = written.words_of(campaign, "title", "demand")
    return {
        "campaign": campaign,
        "words": words,
        "demand": paragraphs(words.texts["demand"]),
        "progress": shown,
        "state_label": shown.state_text,
        "Stage": policy.Stage,
        "gate_description": gate_description(campaign),
        "needs_gatekeepers": policy.gatekeeper_shares_needed(gate) > 0,
        "early_reveal": await standing.early_reveal(campaign),
        "EarlyReveal": standing.EarlyReveal,
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
            "active": [(c, await standing.progress(c)) for c in active],
            "ended": [(c, await standing.progress(c)) for c in ended],
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
    if refusal is None:
        return page(request, name, shown)
    return page(request, name, shown, refusal.status, refusal.headers)


@public
async def sign_form(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    context = await campaign_context(request, campaign)
    context["values"] = dict.fromkeys(PLEDGE.names, "")
    context["action"] = tokens.form_action(request)
    closed = None if context["signable"] else signing.closed_error(campaign)
    return form_page(request, "sign.html", context, closed)


async def _pledge(request: Request, campaign: Campaign, form: FormData) -> signing.Signed:
    """Sign once per submission token: the same form sent again shows the same receipt."""
    token = tokens.form_token(request)
    try:
        data = signing.PledgeInput(**PLEDGE.read_form(form))
    except Refused:
        signing.refuse_if_closed(campaign)  # a closed campaign says so before any field
        raise
    served = runtime(request)
    work = functools.partial(
        signing.sign, campaign, data, keystore=served.keystore, pepper=served.code_pepper
    )
    content = signing.pledge_content(campaign, data)
    return await tokens.once_per_token(
        request, token, content, work, signing.SIGNED, other_content="replace"
    )


@public
@limits.counts_failures
async def sign(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    form = await read_form(request)
    try:
        signed = await _pledge(request, campaign, form)
    except Refused as refusal:
        probe = right_code(request, campaign, form.get("invite_code"))
        answer = await limits.failure(request, refusal, still_valid=probe)
        context = await campaign_context(request, campaign)
        context["values"] = PLEDGE.typed_back(form)
        context["action"] = tokens.form_action(request)
        return form_page(request, "sign.html", context, answer)
    if signed.threshold_reached:
        ticker.wake(request.app)
    return await receipt_page(request, campaign, signed.receipt, signed.invite_codes)


async def receipt_page(
    request: Request,
    campaign: Campaign,
    receipt: str,
    invite_codes: list[str],
    refusal: Refused | None = None,
) -> Response:
    """The pledge receipt, with the step that confirms it was written down."""
    # Read again: the pledge just written may have moved the campaign on. The stage says what
    # the campaign truly waits for (a signer's own threshold, the team, the gatekeepers).
    shown = await standing.progress(await Campaign.get(id=campaign.id))
    context = {
        "campaign": campaign,
        "receipt": receipt,
        "invite_codes": invite_codes,
        "state_label": shown.state_text,
        # The confirmation carries the form's token: its record is deleted once confirmed.
        "confirm_action": tokens.carry(
            request, request.url_for("campaigns:confirm", slug=campaign.slug).path
        ),
    }
    return form_page(request, "signed.html", context, refusal)


@public
async def confirmed(request: Request) -> Response:
    campaign = await campaign_or_404(request.path_params["slug"])
    return page(request, "confirmed.html", {"campaign": campaign})


@public
@limits.counts_failures
async def confirm(request: Request) -> Response:
    """The signer shows they wrote the receipt down by typing its last two words; the record
    that could show it again is then deleted, and a reload shows a neutral page."""
    campaign = await campaign_or_404(request.path_params["slug"])
    form = await read_form(request)
    receipt = shown_receipt(form)
    if not last_two_words_match(str(form.get("check", "")), receipt):
        invite_codes = [str(code)[:MAX_CODE_CHARS] for code in form.getlist("invite_code")]
        return await receipt_page(
            request,
            campaign,
            receipt,
            invite_codes[: policy.MAX_ONWARD_INVITES],
            Refused(wrong_last_words(), status=400, code="wrong_last_words"),
        )
    await tokens.forget_form_token(request)
    return page(request, "confirmed.html", {"campaign": campaign})


@public
@limits.counts_failures
async def printable_receipt(request: Request) -> Response:
    """The pledge receipt alone, to print: no campaign named, no JavaScript needed.

    Only a receipt of a pledge still held is printed: a receipt route never dresses up a spent,
    unknown or mistyped one as valid."""
    receipt = shown_receipt(await read_form(request))
    await receipts.find_pledge(receipt, pepper=runtime(request).code_pepper)
    return page(request, "printable_receipt.html", {"receipt": receipt})


@public
async def status_form(request: Request) -> Response:
    return form_page(request, "status.html", {"result": None})


@public
@limits.counts_failures
async def status(request: Request) -> Response:
    form = await read_form(request)
    served = runtime(request)
    try:
        receipt = RECEIPT.read_form(form)["receipt"]
        result = await receipts.status(receipt, keystore=served.keystore, pepper=served.code_pepper)
    except Refused as refusal:
        answer = await limits.failure(request, refusal)
        return form_page(request, "status.html", {"result": None}, answer)
    return await _status_page(request, result)


async def _status_page(request: Request, result: receipts.PledgeStatus, **more: Any) -> Response:
    shown = await standing.progress(result.campaign)
    context = {"result": result, "progress": shown, "state_label": shown.state_text, **more}
    return form_page(request, "status.html", context)


@public
@limits.counts_failures
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
        # A right receipt with the box left unticked is told to tick it, never "wait".
        probe = right_receipt(request, form.get("receipt"))
        answer = await limits.failure(request, refusal, still_valid=probe)
        return form_page(request, "status.html", {"result": None}, answer)
    return await _status_page(request, result, deadline_kept=True)


def _backups(request: Request) -> dict[str, Any]:
    """With the shared keystore, copies of it made before a withdrawal can open the pledge until
    the next rotation of its key-encryption key; the withdrawal pages say so (docs/operating.md).
    The file keystore is kept out of backups, and its pages say nothing more."""
    settings = runtime(request).settings
    return {
        "final_for_backups_within_days": (
            settings.keystore_rotation_days if settings.shared_keystore else None
        )
    }


@public
async def withdraw_form(request: Request) -> Response:
    moved = tokens.token_address(request)
    if moved is not None:
        return moved
    context = {"result": None, "action": tokens.form_action(request), **_backups(request)}
    return form_page(request, "withdraw.html", context)


async def _withdrawal(request: Request, form: FormData) -> receipts.Withdrawn:
    """Withdraw once per submission token: sent again, it answers as the first time."""
    token = tokens.form_token(request)
    if form.get("confirm") != "yes":
        raise Refused(
            {"confirm": _("Tick the box to confirm that you want to withdraw your pledge.")}
        )
    receipt = RECEIPT.read_form(form)["receipt"]
    served = runtime(request)
    work = functools.partial(
        receipts.withdraw, receipt, keystore=served.keystore, pepper=served.code_pepper
    )
    content = receipts.withdrawal_content(receipt)
    return await tokens.once_per_token(
        request, token, content, work, receipts.WITHDRAWN, other_content="replace"
    )


@public
@limits.counts_failures
async def withdraw(request: Request) -> Response:
    form = await read_form(request)
    try:
        withdrawn = await _withdrawal(request, form)
    except Refused as refusal:
        # A right receipt with the box left unticked is told to tick it, never "wait".
        probe = right_receipt(request, form.get("receipt"))
        answer = await limits.failure(request, refusal, still_valid=probe)
        context = {"result": None, "action": tokens.form_action(request), **_backups(request)}
        return form_page(request, "withdraw.html", context, answer)
    # The outcome keeps the default title (nothing about the reader's language is kept with
    # it); shown in the reader's language if the campaign has one.
    campaign = await Campaign.get_or_none(slug=withdrawn.slug)
    title = written.words_of(campaign, "title").texts["title"] if campaign else withdrawn.title
    return form_page(
        request, "withdraw.html", {"result": withdrawn, "title": title, **_backups(request)}
    )


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
@limits.counts_failures
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
        # The share is the whole form: a counted refusal is a share that failed its checks
        # (a right share handed in twice, or too late, is a conflict, never counted).
        answer = await limits.failure(request, refusal)
        return await _gate_page(request, campaign, refusal=answer)
    return await _gate_page(request, await Campaign.get(id=campaign.id), outcome)


routes = [
    Route("/", index, methods=["GET"], name="index"),
    Route("/{slug}", campaign_page, methods=["GET"], name="campaign"),
    Route("/{slug}/sign", sign_form, methods=["GET"], name="sign_form"),
    Route("/{slug}/sign", sign, methods=["POST"], name="sign"),
    Route("/{slug}/confirmed", confirmed, methods=["GET"], name="confirmed"),
    Route("/{slug}/confirmed", confirm, methods=["POST"], name="confirm"),
    Route("/{slug}/gate", gate_form, methods=["GET"], name="gate_form"),
    Route("/{slug}/gate", gate_submit, methods=["POST"], name="gate_submit"),
]

pledge_routes = [
    Route("/status", status_form, methods=["GET"], name="status_form"),
    Route("/status", status, methods=["POST"], name="status"),
    Route("/withdraw", withdraw_form, methods=["GET"], name="withdraw_form"),
    Route("/deadline", keep_deadline, methods=["POST"], name="deadline"),
    Route("/withdraw", withdraw, methods=["POST"], name="withdraw"),
    Route("/receipt", printable_receipt, methods=["POST"], name="printable_receipt"),
]
