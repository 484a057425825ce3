"""Where the campaign pages and API live (see organise/app.py, which assembles them)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.campaigns import api as json_api
from organise.campaigns import attention as campaign_attention
from organise.campaigns import gatekeeper_pages, organiser_pages, share_link_pages
from organise.campaigns import pages as worker_pages
from organise.campaigns.fields import PLEDGE
from organise.campaigns.policy import Stage
from organise.web.openapi import ref

pages: list[BaseRoute] = [
    Mount("/campaigns", routes=worker_pages.routes, name="campaigns"),
    Mount("/pledges", routes=worker_pages.pledge_routes, name="pledges"),
    Mount("/shares", routes=share_link_pages.routes, name="share_links"),
]
api: list[BaseRoute] = [
    Mount("/api/v1/campaigns", routes=json_api.campaign_routes, name="api_campaigns"),
    Mount("/api/v1/pledges", routes=json_api.pledge_routes, name="api_pledges"),
]
organiser: list[BaseRoute] = [
    Mount("/organisers/campaigns", routes=organiser_pages.routes, name="campaign_organisers"),
    Mount("/organisers/shares", routes=gatekeeper_pages.routes, name="held_shares"),
]

# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*campaign_attention.SOURCES]

# The answers of the JSON API ("Receipt", a body shared with reports, is in organise.web.openapi).
schemas: dict[str, Any] = {
    "Progress": {
        "type": "object",
        "required": ["state", "display", "text", "state_text", "reached"],
        "properties": {
            # The stage, from the facts that hold (organise/campaigns/policy.py, `Stage`).
            "state": {"type": "string", "enum": [stage.value for stage in Stage]},
            "display": {"type": "string", "enum": ["exact", "rounded"]},
            "text": {"type": "string"},
            "state_text": {"type": "string"},
            # The pledges whose own thresholds are met have reached the threshold.
            "reached": {"type": "boolean"},
            "count": {"type": "integer"},
            "lower": {"type": "integer"},
            "upper": {"type": "integer", "nullable": True},
        },
    },
    "Campaign": {
        "type": "object",
        "required": [
            "slug",
            "title",
            "demand",
            "employer",
            "contract",
            "threshold",
            "deadline",
            "state",
            "progress",
            "invite_only",
            "cooling_off_hours",
            "audience",
            "gate",
        ],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "demand": {"type": "string"},
            "employer": {"type": "string"},
            "contract": {"type": "string"},
            "threshold": {"type": "integer"},
            "deadline": {"type": "string"},
            "state": {"type": "string"},
            "progress": ref("Progress"),
            "invite_only": {"type": "boolean"},
            "cooling_off_hours": {"type": "integer"},
            "audience": {"type": "string", "enum": ["organisers", "cosigners", "public"]},
            "gate": {"type": "string"},
            "revealed_count": {"type": "integer", "nullable": True},
            "listed_signers": {"type": "array", "items": {"type": "string"}},
            "list_destroyed": {"type": "boolean"},
            "destroyed_unread": {"type": "integer"},
            # Set once an administrator assigned a new owner (see docs/campaigns.md, "Teams").
            "owner_assigned_week": {"type": "string", "format": "date"},
            "reveal_not_before": {"type": "string"},
            # Stopped early by its organisers (the state is then "expired").
            "stopped": {"type": "boolean"},
            # The deadline before the organisers last extended it.
            "deadline_moved_from": {"type": "string"},
        },
    },
    PLEDGE.name: PLEDGE.schema(),
    "Signed": {
        "type": "object",
        "required": ["receipt", "invite_codes", "state"],
        "properties": {
            "receipt": {"type": "string"},
            "invite_codes": {"type": "array", "items": {"type": "string"}},
            "state": {"type": "string"},
        },
    },
    "PledgeStatus": {
        "type": "object",
        "required": ["campaign", "state", "pledge"],
        "properties": {
            "campaign": {"type": "string"},
            "state": {"type": "string"},
            "pledge": {"type": "string", "enum": ["sealed", "revealed", "not_revealed"]},
            "cosigners": {"type": "array", "items": {"type": "object"}},
            "owner_assigned_week": {"type": "string", "format": "date"},
            "reveal_not_before": {"type": "string"},
            # The revealed lists were destroyed after the campaign's retention period.
            "list_destroyed": {"type": "boolean"},
            # The pledge's own deadline, when earlier than the campaign's (extended) one.
            "own_deadline": {"type": "string"},
        },
    },
    "DeadlineKept": {
        "type": "object",
        "required": ["campaign", "deadline"],
        "properties": {
            "campaign": {"type": "string"},
            "deadline": {"type": "string"},
        },
    },
    "Withdrawn": {
        "type": "object",
        "required": ["withdrawn", "campaign", "state"],
        "properties": {
            "withdrawn": {"type": "boolean", "enum": [True]},
            "campaign": {"type": "string"},
            "state": {"type": "string"},
        },
    },
}
