"""Creating a campaign: check the organiser's choices, deal the gate, store the server's share."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from crypto.gate import GatePolicy, deal_gate
from crypto.keystore import Keystore
from organise.campaigns import keys, policy, sharecheck
from organise.campaigns.errors import CampaignError
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

SLUG_PATTERN = re.compile(r"[a-z0-9][a-z0-9-]{1,63}")
MAX_TITLE_CHARS = 200
MAX_DEMAND_CHARS = 10_000
MAX_EMPLOYER_CHARS = 200
MAX_CONTRACT_CHARS = 300
MAX_DEADLINE_AHEAD = timedelta(days=3 * 366)
# Addresses the organiser pages use for themselves.
RESERVED_SLUGS = frozenset({"new"})
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


@dataclass(frozen=True)
class CreatedCampaign:
    campaign: Campaign
    # Shown once to the organiser for the gatekeepers, never stored.
    gatekeeper_shares: tuple[str, ...]


def parse_deadline(text: str) -> datetime:
    """An ISO 8601 date or date-time; without a time zone it is read as UTC."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise CampaignError(
            _("The deadline must be a date and time such as 2030-05-01T18:00 (ISO 8601)."),
            code="invalid_deadline",
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 9999-12-31T23:59-05:00 is past the last representable moment
        raise CampaignError(
            _("The deadline must be in the future and at most three years ahead."),
            code="invalid_deadline",
        ) from None


def _text(value: str, *, label: str, max_chars: int, required: bool) -> str:
    value = value.strip()
    if "\x00" in value:
        raise CampaignError(_("%(label)s contains a NUL character.") % {"label": label})
    if required and not value:
        raise CampaignError(_("%(label)s is required.") % {"label": label}, code="missing_field")
    if len(value) > max_chars:
        raise CampaignError(
            _("%(label)s can be at most %(n)d characters.") % {"label": label, "n": max_chars},
            code="field_too_long",
        )
    return value


def _in_range(value: int, *, label: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise CampaignError(
            _("%(label)s must be a whole number from %(lo)d to %(hi)d.")
            % {"label": label, "lo": low, "hi": high}
        )
    return value


def check_spec(spec: CampaignSpec, *, now: datetime | None = None) -> CampaignSpec:
    """The spec with its text tidied, or CampaignError naming the first problem."""
    now = now or datetime.now(UTC)
    slug = spec.slug.strip().lower()
    if not SLUG_PATTERN.fullmatch(slug) or slug in RESERVED_SLUGS:
        raise CampaignError(
            _(
                "The short name (used in the address) is 2 to 64 characters: lower-case "
                "letters, digits and dashes, starting with a letter or digit."
            ),
            code="invalid_slug",
        )
    if spec.deadline.tzinfo is None:
        raise CampaignError(_("The deadline needs a time zone."), code="invalid_deadline")
    if spec.deadline <= now:
        raise CampaignError(_("The deadline must be in the future."), code="invalid_deadline")
    if spec.deadline > now + MAX_DEADLINE_AHEAD:
        raise CampaignError(
            _("The deadline can be at most three years ahead."), code="invalid_deadline"
        )
    onward = _in_range(
        spec.onward_invites,
        label=_("Onward invite codes"),
        low=0,
        high=policy.MAX_ONWARD_INVITES,
    )
    return CampaignSpec(
        slug=slug,
        title=_text(spec.title, label=_("Title"), max_chars=MAX_TITLE_CHARS, required=True),
        demand=_text(spec.demand, label=_("Demand"), max_chars=MAX_DEMAND_CHARS, required=True),
        employer=_text(
            spec.employer, label=_("Employer"), max_chars=MAX_EMPLOYER_CHARS, required=False
        ),
        contract=_text(
            spec.contract, label=_("Contract"), max_chars=MAX_CONTRACT_CHARS, required=False
        ),
        threshold=_in_range(
            spec.threshold,
            label=_("Threshold"),
            low=policy.MIN_THRESHOLD,
            high=policy.MAX_THRESHOLD,
        ),
        deadline=spec.deadline.astimezone(UTC),
        cooling_off_hours=_in_range(
            spec.cooling_off_hours,
            label=_("Cooling-off period (hours)"),
            low=0,
            high=policy.MAX_COOLING_OFF_HOURS,
        ),
        audience=Audience(spec.audience),
        invite_mode=InviteMode(spec.invite_mode),
        # Onward codes only mean something when a code is needed to sign.
        onward_invites=onward if spec.invite_mode == InviteMode.INVITE else 0,
        progress_display=ProgressDisplay(spec.progress_display),
        gate=spec.gate,
    )


async def create_campaign(
    spec: CampaignSpec, *, keystore: Keystore, now: datetime | None = None
) -> CreatedCampaign:
    """Deal the gate, keep the server's share in the keystore, and create the campaign row."""
    now = now or datetime.now(UTC)
    spec = check_spec(spec, now=now)
    if await Campaign.exists(slug=spec.slug):
        raise CampaignError(
            _("A campaign with this short name already exists."), status=409, code="slug_taken"
        )
    dealt = await keys.in_thread(deal_gate, spec.gate)
    share_hashes = None
    if dealt.gatekeeper_shares:
        share_hashes = sharecheck.dealt_hashes(
            dealt.gatekeeper_shares,
            identifier=dealt.identifier,
            pepper=await keys.code_pepper(keystore),
        )
    campaign_id = uuid.uuid4()
    share_name = keys.server_share(campaign_id)
    await keys.in_thread(keystore.put, share_name, dealt.server_share.encode("utf-8"))
    try:
        async with in_transaction() as connection:
            campaign = await Campaign.create(
                id=campaign_id,
                slug=spec.slug,
                title=spec.title,
                demand=spec.demand,
                employer=spec.employer,
                contract=spec.contract,
                threshold=spec.threshold,
                deadline=spec.deadline,
                cooling_off_hours=spec.cooling_off_hours,
                audience=spec.audience,
                invite_mode=spec.invite_mode,
                onward_invites=spec.onward_invites,
                progress_display=spec.progress_display,
                gate_mode=spec.gate.mode,
                gate_gatekeepers=spec.gate.gatekeepers,
                gate_threshold=spec.gate.threshold,
                gate_identifier=dealt.identifier,
                public_key=dealt.public_key,
                share_hashes=share_hashes,
                state=CampaignState.OPEN,
                using_db=connection,
            )
            await LifecycleEvent.create(
                campaign=campaign, kind=EventKind.CREATED, at=now, using_db=connection
            )
    except IntegrityError:
        await keys.in_thread(keystore.delete, share_name)
        raise CampaignError(
            _("A campaign with this short name already exists."), status=409, code="slug_taken"
        ) from None
    except BaseException:
        await keys.in_thread(keystore.delete, share_name)
        raise
    return CreatedCampaign(campaign=campaign, gatekeeper_shares=dealt.gatekeeper_shares)
