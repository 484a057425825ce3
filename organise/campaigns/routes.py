"""Where the campaign pages and API live (see organise/app.py, which assembles them)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.campaigns import api as json_api
from organise.campaigns import attention as campaign_attention
from organise.campaigns import gatekeeper_pages, organiser_api, organiser_pages, share_link_pages
from organise.campaigns import pages as worker_pages
from organise.campaigns.fields import MAX_BATCH, PLEDGE
from organise.campaigns.models import EventKind, InviteMode
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
    # The organisers' API (bearer tokens): the campaigns of their teams.
    *organiser_api.collection_routes,
    Mount(organiser_api.PREFIX, routes=organiser_api.campaign_routes, name="api_organiser"),
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
            # The title and demand in other languages (docs/campaigns.md, "Languages").
            "translations": {
                "type": "object",
                "additionalProperties": {
                    "type": "object",
                    "properties": {"title": {"type": "string"}, "demand": {"type": "string"}},
                },
            },
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
    # The organisers' API (organiser_api).
    "CampaignSummary": {
        "type": "object",
        "required": ["slug", "title", "state", "deadline"],
        "properties": {
            "slug": {"type": "string"},
            "title": {"type": "string"},
            "state": {"type": "string"},
            "deadline": {"type": "string"},
            "archived": {"type": "boolean"},
            "progress": ref("Progress"),
        },
    },
    "OrganiserCampaigns": {
        "type": "object",
        "required": ["campaigns"],
        "properties": {
            "campaigns": {"type": "array", "items": ref("CampaignSummary")},
            # Administrators only: campaigns whose team can receive nothing (names only).
            "waiting_for_owner": {"type": "array", "items": ref("CampaignSummary")},
        },
    },
    "OrganiserCampaign": {
        "allOf": [
            ref("Campaign"),
            {
                "type": "object",
                "required": [
                    "archived",
                    "editable",
                    "owner",
                    "members",
                    "invite_mode",
                    "onward_invites",
                    "invite_depth",
                    "keep_revealed_days",
                    "batches",
                    "events",
                ],
                "properties": {
                    "archived": {"type": "boolean"},
                    # Whether the title and demand may still change (open, nobody signed).
                    "editable": {"type": "boolean"},
                    "owner": {"type": "string", "nullable": True},
                    "members": {"type": "array", "items": {"type": "string"}},
                    "invite_mode": {"type": "string", "enum": [m.value for m in InviteMode]},
                    "onward_invites": {"type": "integer"},
                    "invite_depth": {"type": "integer"},
                    "keep_revealed_days": {"type": "integer"},
                    # Named batches, never a count of their codes (used or not).
                    "batches": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["name", "week", "revoked"],
                            "properties": {
                                "name": {"type": "string"},
                                "week": {"type": "string", "format": "date"},
                                "revoked": {"type": "boolean"},
                            },
                        },
                    },
                    # The lifecycle log, to the week.
                    "events": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["week", "kind"],
                            "properties": {
                                "week": {"type": "string", "format": "date"},
                                "kind": {"type": "string", "enum": [k.value for k in EventKind]},
                                "count": {"type": "integer"},
                            },
                        },
                    },
                },
            },
        ]
    },
    "CampaignCreated": {
        "type": "object",
        "required": ["campaign", "gatekeeper_shares", "share_links", "gatekeepers"],
        "properties": {
            "campaign": ref("OrganiserCampaign"),
            # Paper sheets: each gatekeeper's share, shown here once, stored nowhere.
            "gatekeeper_shares": {"type": "array", "items": {"type": "string"}},
            # One-time links to pass on, one per gatekeeper.
            "share_links": {"type": "array", "items": {"type": "string"}},
            # Shares sealed to gatekeeper accounts: who, with their key's fingerprint words.
            "gatekeepers": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["username", "fingerprint"],
                    "properties": {
                        "username": {"type": "string"},
                        "fingerprint": {"type": "string"},
                    },
                },
            },
        },
    },
    "InviteCodes": {
        "type": "object",
        "required": ["codes", "batch"],
        "properties": {
            "codes": {
                "type": "array",
                "items": {"type": "string"},
                "minItems": 1,
                "maxItems": MAX_BATCH,
            },
            "batch": {"type": "string", "nullable": True},
        },
    },
    "Revoked": {
        "type": "object",
        "required": ["revoked"],
        "properties": {
            "revoked": {"type": "boolean", "enum": [True]},
            "batch": {"type": "string"},
        },
    },
    "RevealedPledges": {
        "type": "object",
        "required": ["pledges"],
        "properties": {
            "pledges": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "contact": {"type": "string", "nullable": True},
                        "team": {"type": "string", "nullable": True},
                        "message": {"type": "string", "nullable": True},
                        "personal_threshold": {"type": "integer", "nullable": True},
                        "list_publicly": {"type": "boolean", "nullable": True},
                    },
                },
            }
        },
    },
    "Team": {
        "type": "object",
        "required": ["owner", "members"],
        "properties": {
            "owner": {"type": "string", "nullable": True},
            "members": {"type": "array", "items": {"type": "string"}},
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
