"""Campaign choices in plain words: the gate, progress display, which pledges may be revealed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from crypto.gate import GatePolicy
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    EventKind,
    InviteMode,
    ProgressDisplay,
)
from organise.i18n import _, ngettext
from organise.numbers import whole_number
from organise.suppression import SMALL_CELL_K

MIN_THRESHOLD = 2  # a threshold of 1 gives nobody safety in numbers
MAX_THRESHOLD = 1_000_000
MAX_COOLING_OFF_HOURS = 24 * 30
DEFAULT_COOLING_OFF_HOURS = 48
MAX_ONWARD_INVITES = 5
MAX_INVITE_DEPTH = 3
DEFAULT_INVITE_DEPTH = 1
MIN_KEEP_REVEALED_DAYS = 1
MAX_KEEP_REVEALED_DAYS = 365
DEFAULT_KEEP_REVEALED_DAYS = 30
MAX_DEADLINE_AHEAD = timedelta(days=3 * 366)

# States in which a worker may sign, or withdraw an unrevealed pledge.
SIGNABLE = (CampaignState.OPEN, CampaignState.COOLING_OFF, CampaignState.AWAITING_GATE)
WITHDRAWABLE = (*SIGNABLE, CampaignState.REVEALED)
ACTIVE = SIGNABLE
# Over for good: no gate will open again, so no gatekeeper share is needed any more.
ENDED = (CampaignState.REVEALED, CampaignState.EXPIRED)


def gate_policy(campaign: Campaign) -> GatePolicy:
    return GatePolicy(
        campaign.gate_mode,  # type: ignore[arg-type]
        gatekeepers=campaign.gate_gatekeepers,
        threshold=campaign.gate_threshold,
    )


def policy_from_choice(gatekeepers: str | None, *, server_required: bool) -> GatePolicy:
    """`None` (server alone) or "K/N": K of N gatekeepers, with or without the server's share.

    Raises ValueError with a readable message.
    """
    if not gatekeepers:
        if server_required:
            raise ValueError(_("The server's share is only a choice when there are gatekeepers."))
        return GatePolicy("server")
    k_text, slash, n_text = gatekeepers.strip().partition("/")
    k, n = whole_number(k_text, max_digits=2), whole_number(n_text, max_digits=2)
    if not slash or k is None or n is None:
        raise ValueError(_("Write gatekeepers as K/N, for example 2/3."))
    mode = "server_and_gatekeepers" if server_required else "any_k_of_n"
    return make_policy(mode, gatekeepers=n, required=k)


def make_policy(mode: str, *, gatekeepers: int, required: int) -> GatePolicy:
    """A GatePolicy from form choices, with our own readable message when it is not allowed."""
    if mode == "server":
        return GatePolicy("server")
    if mode not in {"server_and_gatekeepers", "any_k_of_n"}:
        raise ValueError(_("Choose who must agree before pledges are revealed."))
    try:
        return GatePolicy(mode, gatekeepers=gatekeepers, threshold=required)  # type: ignore[arg-type]
    except ValueError:
        pass
    if mode == "server_and_gatekeepers":
        raise ValueError(
            _(
                "With the server's share required, choose 1 to 16 gatekeepers and require "
                "at least 2 of them (or exactly 1 gatekeeper); the number required cannot "
                "exceed the number of gatekeepers."
            )
        )
    raise ValueError(
        _(
            "Without the server's share required, choose 1 to 15 gatekeepers and a number "
            "required from 2 up to the gatekeepers plus one (the server counts as one holder)."
        )
    )


def gate_description(policy: GatePolicy) -> str:
    """Who must agree before pledges are revealed, in plain (translated) words."""
    k, n = policy.threshold, policy.gatekeepers
    if policy.mode == "server":
        return _("the server alone, automatically")
    if policy.mode == "server_and_gatekeepers":
        if n == 1:
            return _("the server and the one gatekeeper")
        if k == n:
            return _("the server and all %(n)d gatekeepers") % {"n": n}
        return _("the server and %(k)d of the %(n)d gatekeepers") % {"k": k, "n": n}
    return _(
        "any %(k)d of %(m)d share holders: the %(n)d gatekeepers and the server, "
        "which counts as one"
    ) % {"k": k, "m": n + 1, "n": n}


def chain_bound(onward_invites: int, invite_depth: int) -> int:
    """X = 1 + K + K^2 + ... + K^D: the most pledges one organiser-made code can bring in.

    The code itself signs once (generation 0); each pledge signed with a generation-g code,
    g < D, gets K codes of generation g + 1.
    """
    return sum(onward_invites**generation for generation in range(invite_depth + 1))


@dataclass(frozen=True)
class ChainRisk:
    bound: int  # X
    threshold: int  # N
    open_mode: bool
    text: str  # in plain words, with the numbers

    @property
    def forces_reveal(self) -> bool:
        """One leaked code alone could reach the threshold."""
        return self.open_mode or self.bound >= self.threshold


def chain_risk(
    *, invite_mode: str, onward_invites: int, invite_depth: int, threshold: int
) -> ChainRisk:
    """What one leaked organiser-made code (or open mode) lets an infiltrator add, in words."""
    if invite_mode == InviteMode.OPEN:
        return ChainRisk(
            0,
            threshold,
            True,
            _(
                "Open to anyone: no code is needed, so anyone, including someone sent by the "
                "employer, can add as many pledges as they like and could reach the threshold "
                "of %(n)d alone, forcing a reveal. Personal thresholds and the cooling-off "
                "period are the only protection."
            )
            % {"n": threshold},
        )
    bound = chain_bound(onward_invites, invite_depth)
    text = ngettext(
        "One leaked organiser-made code can add at most %(x)d pledge",
        "One leaked organiser-made code can add at most %(x)d pledges",
        bound,
    ) % {"x": bound}
    if bound >= threshold:
        text += _(
            " (onward codes %(k)d per pledge, depth %(d)d): that reaches the threshold of "
            "%(n)d, so one infiltrator holding one code could force the reveal with no real "
            "coworker signed."
        ) % {"k": onward_invites, "d": invite_depth, "n": threshold}
    else:
        text += _(
            " (onward codes %(k)d per pledge, depth %(d)d): the reveal could then come when "
            "only %(real)d real coworkers have signed (threshold %(n)d minus %(x)d)."
        ) % {
            "k": onward_invites,
            "d": invite_depth,
            "real": threshold - bound,
            "n": threshold,
            "x": bound,
        }
    return ChainRisk(bound, threshold, False, text)


def campaign_chain_risk(campaign: Campaign) -> ChainRisk:
    return chain_risk(
        invite_mode=campaign.invite_mode,
        onward_invites=campaign.onward_invites,
        invite_depth=campaign.invite_depth,
        threshold=campaign.threshold,
    )


def gatekeeper_shares_needed(policy: GatePolicy) -> int:
    """How many gatekeeper shares open the gate, given that the server's share is always there."""
    if policy.mode == "server":
        return 0
    if policy.mode == "server_and_gatekeepers":
        return policy.threshold
    return policy.threshold - 1


def audience_description(audience: Audience) -> str:
    if audience == Audience.ORGANISERS:
        return _("the campaign's organisers")
    if audience == Audience.COSIGNERS:
        return _("the organisers and the other co-signers whose pledges are revealed")
    return _(
        "the organisers and the other revealed co-signers; the public sees only the names of "
        "signers who chose to be listed, and a count of everyone else"
    )


class Stage(StrEnum):
    """Where a campaign stands, derived from facts that hold (`stage`), one sentence each."""

    OPEN = "open"  # collecting pledges, fewer than the threshold
    # As many pledges as the threshold or more, but fewer whose own thresholds are met.
    WAITING_FOR_PERSONAL_THRESHOLDS = "waiting_for_personal_thresholds"
    COOLING_OFF = "cooling_off"
    WAITING_FOR_GATEKEEPERS = "waiting_for_gatekeepers"
    # Threshold reached, but nobody on the team can receive a reveal (`team`).
    WAITING_FOR_OWNER = "waiting_for_owner"
    REVEALING = "revealing"
    REVEALED = "revealed"
    EXPIRED = "expired"
    # Destroyed as at an expired deadline, because its organisers stopped it (`operations.stop`).
    STOPPED = "stopped"


# Stages in which the revealable set has reached the threshold.
REACHED = frozenset(
    {
        Stage.COOLING_OFF,
        Stage.WAITING_FOR_GATEKEEPERS,
        Stage.WAITING_FOR_OWNER,
        Stage.REVEALING,
        Stage.REVEALED,
    }
)


def stage(campaign: Campaign, *, team_can_receive: bool) -> Stage:
    """The campaign's stage from its state, its count and whether its team can receive a reveal.

    An open campaign with at least as many pledges as its threshold is open only because the
    revealable set is smaller (signing moves it to cooling-off the moment that set reaches
    the threshold, and a withdrawal moves it back only when the set falls below).
    """
    state = campaign.state
    if state == CampaignState.OPEN:
        if campaign.pledge_count >= campaign.threshold:
            return Stage.WAITING_FOR_PERSONAL_THRESHOLDS
        return Stage.OPEN
    if state in (CampaignState.COOLING_OFF, CampaignState.AWAITING_GATE) and not team_can_receive:
        return Stage.WAITING_FOR_OWNER
    return {
        CampaignState.COOLING_OFF: Stage.COOLING_OFF,
        CampaignState.AWAITING_GATE: Stage.WAITING_FOR_GATEKEEPERS,
        CampaignState.REVEALING: Stage.REVEALING,
        CampaignState.REVEALED: Stage.REVEALED,
        CampaignState.EXPIRED: Stage.STOPPED if campaign.stopped else Stage.EXPIRED,
    }[state]


def stage_text(shown: Stage, campaign: Campaign) -> str:
    """What is happening, in one sentence that holds for this stage."""
    texts = {
        Stage.OPEN: _("open for pledges"),
        Stage.WAITING_FOR_PERSONAL_THRESHOLDS: _(
            "open for pledges: some signers asked to be counted only once more people have "
            "pledged, so the reveal waits until at least %(n)d signers whose own conditions "
            "are met have pledged"
        )
        % {"n": campaign.threshold},
        Stage.COOLING_OFF: _(
            "threshold reached: cooling-off period, pledges can still be withdrawn"
        ),
        Stage.WAITING_FOR_GATEKEEPERS: _(
            "threshold reached: waiting for the gatekeepers to hand in their shares"
        ),
        Stage.WAITING_FOR_OWNER: _(
            "threshold reached, but nobody on the campaign's team can receive the pledges: "
            "the reveal waits until an administrator assigns a new owner"
        ),
        Stage.REVEALING: _("revealing now"),
        Stage.REVEALED: _("revealed"),
        Stage.EXPIRED: _("expired: every pledge was destroyed unread"),
        Stage.STOPPED: _("stopped by its organisers: every pledge was destroyed unread"),
    }
    return texts[shown]


@dataclass(frozen=True)
class Progress:
    stage: Stage
    display: ProgressDisplay
    text: str  # the count, as the public may see it
    state_text: str  # what is happening (`stage_text`)
    count: int | None  # exact count, or None when rounded
    lower: int | None
    upper: int | None
    reached: bool  # the revealable set has reached the threshold


def rounding_step(threshold: int) -> int:
    """Bucket size for rounded progress: the small-cell k (5) up to a threshold of 99, then a
    tenth, rounded down."""
    digits = len(str(threshold))
    return max(SMALL_CELL_K, 10 ** (digits - 2))


def _count_text(campaign: Campaign, shown: Stage) -> tuple[str, int | None, int | None, int | None]:
    """(text, count, lower, upper): the count as the campaign's display lets the public see it.

    Never more than is true: below the threshold a rounded count never names a bound above
    the threshold, and from the threshold on the text says how many there are and what the
    threshold is, leaving whether it is reached to the stage.
    """
    count, threshold = campaign.pledge_count, campaign.threshold
    if shown in (Stage.REVEALED, Stage.EXPIRED):
        if shown == Stage.REVEALED:
            ended = campaign.revealed_count or 0
            text = ngettext("%(n)d pledge revealed", "%(n)d pledges revealed", ended)
        else:
            ended = campaign.destroyed_count
            text = ngettext(
                "%(n)d pledge destroyed unread", "%(n)d pledges destroyed unread", ended
            )
        return text % {"n": ended}, ended, ended, ended
    numbers = {"count": count, "threshold": threshold}
    if campaign.progress_display == ProgressDisplay.EXACT:
        if count >= threshold:
            text = ngettext(
                "%(count)d pledge; the threshold is %(threshold)d",
                "%(count)d pledges; the threshold is %(threshold)d",
                count,
            )
        else:
            text = ngettext(
                "%(count)d pledge of the %(threshold)d needed",
                "%(count)d pledges of the %(threshold)d needed",
                count,
            )
        return text % numbers, count, count, count
    if count >= threshold:
        text = _("at least %(threshold)d pledges; the threshold is %(threshold)d") % numbers
        return text, None, threshold, None
    step = rounding_step(threshold)
    if count < step:
        if step >= threshold:
            text = _("fewer than the %(threshold)d pledges needed") % {"threshold": threshold}
            return text, None, 0, threshold
        text = _("fewer than %(n)d pledges of the %(threshold)d needed") % {
            "n": step,
            "threshold": threshold,
        }
        return text, None, 0, step
    lower = count // step * step
    if lower + step >= threshold:
        text = _("at least %(lower)d pledges, fewer than the %(threshold)d needed") % {
            "lower": lower,
            "threshold": threshold,
        }
        return text, None, lower, threshold
    upper = lower + step
    text = _("between %(lower)d and %(upper)d pledges of the %(threshold)d needed") % {
        "lower": lower,
        "upper": upper,
        "threshold": threshold,
    }
    return text, None, lower, upper


def progress(campaign: Campaign, shown: Stage) -> Progress:
    """How the public sees the campaign: its stage, and the count per the campaign's choice."""
    text, count, lower, upper = _count_text(campaign, shown)
    return Progress(
        stage=shown,
        display=campaign.progress_display,
        text=text,
        state_text=stage_text(shown, campaign),
        count=count,
        lower=lower,
        upper=upper,
        reached=shown in REACHED,
    )


def revealed_cutoff(threshold_counts: Mapping[int, int]) -> tuple[int | None, int]:
    """The largest set S in which every member's personal threshold is at most |S|.

    `threshold_counts` maps a personal threshold to how many pledges carry it. Returns the
    highest personal threshold admitted into S (S is every pledge at or below it) and |S|;
    (None, 0) when no non-empty set qualifies.

    Any qualifying S whose largest member threshold is t can be grown to every pledge with a
    threshold at most t and still qualify, so the answer is of that form: take the largest t
    among the thresholds present for which the number of pledges at or below t is at least t.
    """
    best: tuple[int | None, int] = (None, 0)
    cumulative = 0
    for personal in sorted(threshold_counts):
        cumulative += threshold_counts[personal]
        if personal <= cumulative:
            best = (personal, cumulative)
    return best


def state_label(state: CampaignState) -> str:
    labels = {
        CampaignState.OPEN: _("open for pledges"),
        CampaignState.COOLING_OFF: _("threshold reached: cooling-off period"),
        CampaignState.AWAITING_GATE: _("threshold reached: waiting for the gatekeepers"),
        CampaignState.REVEALING: _("revealing now"),
        CampaignState.REVEALED: _("revealed"),
        CampaignState.EXPIRED: _("expired: every pledge was destroyed unread"),
    }
    return labels[state]


def share_no_longer_needed(state: CampaignState, *, stopped: bool) -> str:
    """Told to a gatekeeper whose campaign is over (`ENDED`): their share left the server."""
    if state == CampaignState.REVEALED:
        why = _("This campaign is over: its pledges have been revealed, so no share is needed.")
    elif stopped:
        why = _(
            "This campaign is over: its organisers stopped it, and its pledges were destroyed "
            "unread."
        )
    else:
        why = _("This campaign is over: it expired, and its pledges were destroyed unread.")
    return (
        why
        + " "
        + _(
            "The share the server held for you was deleted from it; there is nothing to do. If you "
            "kept a copy, destroy it."
        )
    )


def event_label(kind: EventKind) -> str:
    labels = {
        EventKind.CREATED: _("created"),
        EventKind.THRESHOLD_REACHED: _("threshold reached"),
        EventKind.THRESHOLD_LOST: _("back below the threshold after withdrawals"),
        EventKind.REVEALED: _("revealed"),
        EventKind.EXPIRED: _("expired: pledges destroyed unread"),
        EventKind.SHREDDED: _("deadline: pledges left sealed were destroyed"),
        EventKind.RELEASE_DESTROYED: _("retention over: the revealed lists were destroyed"),
        EventKind.STOPPED: _("stopped by its organisers: pledges destroyed unread"),
        EventKind.DEADLINE_EXTENDED: _("deadline extended"),
        EventKind.LAPSED: _(
            "pledges whose signers kept the earlier deadline were destroyed unread at it"
        ),
    }
    return labels[kind]
