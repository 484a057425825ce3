"""Creating a campaign: check the organiser's choices, deal the gate, store the server's share."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crypto.gate import GatePolicy, deal_gate
from crypto.keystore import Keystore
from organise.campaigns import heldshares, keys, policy, sharecheck, sharelinks, team
from organise.campaigns.fields import CAMPAIGN, GATE_MODES
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    EventKind,
    InviteMode,
    LifecycleEvent,
    ProgressDisplay,
)
from organise.i18n import _
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.submissions.once import Record

SERVER_ALONE = GatePolicy("server")


@dataclass(frozen=True)
class CampaignSpec:
    slug: str
    title: str
    demand: str
    threshold: int
    deadline: datetime
    employer: str = ""
    contract: str = ""
    cooling_off_hours: int = policy.DEFAULT_COOLING_OFF_HOURS
    audience: Audience = Audience.ORGANISERS
    invite_mode: InviteMode = InviteMode.INVITE
    onward_invites: int = 0
    progress_display: ProgressDisplay = ProgressDisplay.EXACT
    gate: GatePolicy = SERVER_ALONE
    invite_depth: int = policy.DEFAULT_INVITE_DEPTH
    keep_revealed_days: int = policy.DEFAULT_KEEP_REVEALED_DAYS
    # The organiser ticked "I understand" for a chain bound at or above the threshold.
    accept_chain_risk: bool = False
    # The title and demand in other languages (`fields.translations`).
    translations: Mapping[str, Mapping[str, str]] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class CreatedCampaign:
    campaign: Campaign
    # Paper-sheet mode only: shown once to the organiser for the gatekeepers, never stored.
    gatekeeper_shares: tuple[str, ...]
    # Share-link mode: one link secret per gatekeeper (the organiser hands out links).
    share_links: tuple[str, ...] = ()
    # Gatekeeper-account mode: who holds each share, with their key fingerprint words.
    holders: tuple[heldshares.Holder, ...] = ()


@dataclass(frozen=True)
class ShareDelivery:
    """How gatekeeper shares reach their holders. Neither set: paper sheets (offline use)."""

    gatekeeper_accounts: tuple[str, ...] = ()
    links: bool = False

    @property
    def paper(self) -> bool:
        return not (self.gatekeeper_accounts or self.links)


PAPER = ShareDelivery()


def _gate(values: Mapping[str, Any]) -> GatePolicy:
    """The gate chosen, once its numbers are known to fit its mode."""
    mode = values["gate_mode"]
    if mode == "server":
        return SERVER_ALONE
    gatekeepers, required = values["gatekeepers"], values["gatekeepers_required"]
    if mode in GATE_MODES:
        for name, number in (("gatekeepers", gatekeepers), ("gatekeepers_required", required)):
            if number is None:
                label = CAMPAIGN[name].label
                raise Refused({name: _("%(label)s must be a whole number.") % {"label": label}})
    try:
        return policy.make_policy(mode, gatekeepers=gatekeepers or 0, required=required or 0)
    except ValueError as error:
        raise Refused({"gate_mode": str(error)}) from None


def spec_from_values(values: Mapping[str, Any]) -> CampaignSpec:
    """The campaign described by values read with `fields.CAMPAIGN` (or `CAMPAIGN_PAGE`)."""
    return CampaignSpec(
        slug=values["slug"],
        title=values["title"],
        demand=values["demand"],
        employer=values["employer"],
        contract=values["contract"],
        threshold=values["threshold"],
        deadline=values["deadline"],
        cooling_off_hours=values["cooling_off_hours"],
        audience=Audience(values["audience"]),
        invite_mode=InviteMode(values["invite_mode"]),
        onward_invites=values["onward_invites"],
        progress_display=ProgressDisplay(values["progress_display"]),
        gate=_gate(values),
        invite_depth=_or_default(values.get("invite_depth"), policy.DEFAULT_INVITE_DEPTH),
        keep_revealed_days=_or_default(
            values.get("keep_revealed_days"), policy.DEFAULT_KEEP_REVEALED_DAYS
        ),
        accept_chain_risk=bool(values.get("accept_chain_risk")),
        translations=values.get("translations") or {},
    )


def share_delivery(values: Mapping[str, Any], spec: CampaignSpec) -> ShareDelivery:
    """How the gatekeeper shares of `spec` reach their holders, from values read with
    `fields.SHARE_DELIVERY` (the page and the JSON API). A campaign without gatekeepers, or a
    form without the choice (an older page), gets the paper sheets it always showed."""
    chosen = values["share_delivery"] or "paper"
    if spec.gate.mode == "server" or chosen == "paper":
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


def _or_default(value: int | None, default: int) -> int:
    return default if value is None else value


def _deadline_problem(message: str) -> Refused:
    return Refused({"deadline": message}, code="invalid_deadline")


def check_spec(spec: CampaignSpec, *, now: datetime | None = None) -> CampaignSpec:
    """What the field table cannot check on its own: the deadline against the clock, and the
    invite chain's bound against the threshold.

    Onward codes only mean something when a code is needed to sign.
    """
    now = now or datetime.now(UTC)
    if spec.deadline.tzinfo is None:
        raise _deadline_problem(_("The deadline needs a time zone."))
    if spec.deadline <= now:
        raise _deadline_problem(_("The deadline must be in the future."))
    if spec.deadline > now + policy.MAX_DEADLINE_AHEAD:
        raise _deadline_problem(_("The deadline can be at most three years ahead."))
    risk = policy.chain_risk(
        invite_mode=spec.invite_mode,
        onward_invites=spec.onward_invites,
        invite_depth=spec.invite_depth,
        threshold=spec.threshold,
    )
    if not risk.open_mode and risk.forces_reveal and not spec.accept_chain_risk:
        raise Refused(
            {
                "accept_chain_risk": _(
                    "With %(k)d onward codes per pledge and an invite depth of %(d)d, one "
                    "leaked organiser-made code can add up to %(x)d pledges, which reaches "
                    "the threshold of %(n)d: one infiltrator could force the reveal alone. "
                    "Lower the onward codes or the depth, raise the threshold, or confirm "
                    'that you understand ("I understand" box; --accept-chain-risk).'
                )
                % {
                    "k": spec.onward_invites,
                    "d": spec.invite_depth,
                    "x": risk.bound,
                    "n": spec.threshold,
                }
            },
            code="chain_risk",
        )
    return dataclasses.replace(
        spec,
        deadline=spec.deadline.astimezone(UTC),
        onward_invites=spec.onward_invites if spec.invite_mode == InviteMode.INVITE else 0,
    )


async def create_campaign(
    spec: CampaignSpec,
    *,
    owner: Organiser,
    keystore: Keystore,
    pepper: bytes,
    now: datetime | None = None,
    delivery: ShareDelivery = PAPER,
    remember: Record[CreatedCampaign] | None = None,
) -> CreatedCampaign:
    """Deal the gate, keep the server's share in the keystore, and create the campaign row.

    `remember` (an `Idempotency-Key`'s record) runs last in the campaign's transaction, with
    the outcome: the record exists if and only if the campaign does.

    `owner` heads the campaign's team: an organiser or admin account holding its own key.
    The gatekeeper shares are dealt here, in this process's memory, then sealed to gatekeeper
    accounts or encrypted under one-time link secrets (`delivery`), or returned for paper.
    """
    now = now or datetime.now(UTC)
    spec = check_spec(spec, now=now)
    owner = await team.team_account(owner.username, field="owner")
    if await Campaign.exists(slug=spec.slug):
        raise Refused(
            _("A campaign with this short name already exists."), status=409, code="slug_taken"
        )
    gatekeepers = 0 if spec.gate.mode == "server" else spec.gate.gatekeepers
    if not delivery.paper and not gatekeepers:
        raise Refused(
            {"gatekeeper_accounts": _("This gate has no gatekeepers to give shares to.")},
            code="no_gatekeepers",
        )
    holders = []
    if delivery.gatekeeper_accounts:
        holders = await heldshares.gatekeeper_accounts(delivery.gatekeeper_accounts, gatekeepers)
    dealt = await keys.in_thread(deal_gate, spec.gate)
    share_hashes = None
    if dealt.gatekeeper_shares:
        share_hashes = sharecheck.dealt_hashes(
            dealt.gatekeeper_shares,
            identifier=dealt.identifier,
            pepper=pepper,
        )
    campaign_id = uuid.uuid4()
    held = heldshares.seal_shares(campaign_id, holders, dealt.gatekeeper_shares) if holders else []
    links, secrets_ = (
        sharelinks.deal(campaign_id, dealt.gatekeeper_shares, pepper)
        if delivery.links
        else ([], [])
    )
    share_name = keys.server_share(campaign_id)
    await keys.in_thread(keystore.put, share_name, dealt.server_share.encode("utf-8"))
    try:
        async with in_transaction() as connection:
            campaign = await Campaign.create(
                id=campaign_id,
                slug=spec.slug,
                title=spec.title,
                demand=spec.demand,
                translations={code: dict(texts) for code, texts in spec.translations.items()},
                employer=spec.employer,
                contract=spec.contract,
                threshold=spec.threshold,
                deadline=spec.deadline,
                cooling_off_hours=spec.cooling_off_hours,
                audience=spec.audience,
                invite_mode=spec.invite_mode,
                onward_invites=spec.onward_invites,
                invite_depth=spec.invite_depth,
                keep_revealed_days=spec.keep_revealed_days,
                progress_display=spec.progress_display,
                gate_mode=spec.gate.mode,
                gate_gatekeepers=spec.gate.gatekeepers,
                gate_threshold=spec.gate.threshold,
                gate_identifier=dealt.identifier,
                public_key=dealt.public_key,
                share_hashes=share_hashes,
                owner=owner,
                state=CampaignState.OPEN,
                using_db=connection,
            )
            await LifecycleEvent.create(
                campaign=campaign, kind=EventKind.CREATED, at=now, using_db=connection
            )
            for row in (*held, *links):
                await row.save(using_db=connection, force_create=True)
            created = CreatedCampaign(
                campaign=campaign,
                # Sealed or linked shares are shown to nobody, the creating organiser included.
                gatekeeper_shares=dealt.gatekeeper_shares if delivery.paper else (),
                share_links=tuple(secrets_),
                holders=heldshares.holders_of(holders),
            )
            if remember is not None:
                await remember(connection, created)
    except IntegrityError:
        await keys.in_thread(keystore.delete, share_name)
        raise Refused(
            _("A campaign with this short name already exists."), status=409, code="slug_taken"
        ) from None
    except BaseException:
        await keys.in_thread(keystore.delete, share_name)
        raise
    return created
