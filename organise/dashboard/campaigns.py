"""Campaigns for the dashboard: progress against the threshold, state and deadline.

Progress follows each campaign's own setting (exact or rounded), and the stage is the one its
public page shows (`organise.campaigns.standing`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from organise.campaigns import policy, standing
from organise.campaigns.models import Campaign


@dataclass(frozen=True)
class CampaignRow:
    slug: str
    title: str
    state: str
    stage: str  # policy.Stage
    state_label: str
    deadline: str  # ISO 8601
    threshold: int
    progress_text: str
    display: str  # exact | rounded
    count: int | None  # exact progress only
    lower: int | None
    upper: int | None
    reached: bool

    @property
    def shown_fraction(self) -> float:
        """How far along the bar goes: the exact count, or the lower bound when rounded; nothing
        for an expired campaign, whose count is of pledges destroyed."""
        if self.stage in (policy.Stage.EXPIRED, policy.Stage.STOPPED):
            return 0.0
        value = self.count if self.count is not None else (self.lower or 0)
        return min(1.0, value / self.threshold) if self.threshold else 0.0

    @property
    def full_but_waiting(self) -> bool:
        """A full bar that has not reached the threshold: personal thresholds hold it back."""
        return self.shown_fraction >= 1.0 and not self.reached

    def as_json(self) -> dict[str, Any]:
        progress: dict[str, Any] = {
            "state": self.stage,
            "display": self.display,
            "text": self.progress_text,
            "state_text": self.state_label,
            "reached": self.reached,
        }
        if self.display == "exact":
            progress["count"] = self.count
        else:
            progress["lower"] = self.lower
            progress["upper"] = self.upper
        return {
            "slug": self.slug,
            "title": self.title,
            "state": self.state,
            "deadline": self.deadline,
            "threshold": self.threshold,
            "progress": progress,
        }


def campaign_row(campaign: Campaign, shown: policy.Progress) -> CampaignRow:
    return CampaignRow(
        slug=campaign.slug,
        title=campaign.title,
        state=campaign.state.value,
        stage=shown.stage.value,
        state_label=shown.state_text,
        deadline=campaign.deadline.isoformat(),
        threshold=campaign.threshold,
        progress_text=shown.text,
        display=shown.display.value,
        count=shown.count,
        lower=shown.lower,
        upper=shown.upper,
        reached=shown.reached,
    )


async def campaign_rows() -> list[CampaignRow]:
    """Every campaign, by deadline then slug (never by creation)."""
    campaigns = await Campaign.all().order_by("deadline", "slug")
    return [campaign_row(campaign, await standing.progress(campaign)) for campaign in campaigns]
