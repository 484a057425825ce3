"""Where the organisers' sign-in and account pages live (see organise/app.py)."""

from __future__ import annotations

from typing import Any

from starlette.routing import BaseRoute, Mount

from organise.attention import Source
from organise.organisers import attention as account_attention
from organise.organisers import organiser_pages, people_api, people_pages
from organise.organisers import pages as sign_in_pages
from organise.roles import Role

pages: list[BaseRoute] = []
api: list[BaseRoute] = [*people_api.routes]
# The public sign-in pages share the /organisers mount, and so its route names.
organiser: list[BaseRoute] = [
    Mount(
        "/organisers",
        routes=[*sign_in_pages.routes, *organiser_pages.routes, *people_pages.routes],
        name="organisers",
    )
]
# What waits for someone on their account page (organise/attention.py).
attention: list[Source] = [*account_attention.SOURCES]
_WEEK = {"type": "string", "format": "date", "description": "The Monday of the week."}
_USERNAME = people_api.USERNAME_SCHEMA

# One account as the accounts page lists it (people.AccountSummary).
ACCOUNT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": [
        "username",
        "role",
        "created_week",
        "last_sign_in_week",
        "two_step",
        "enrolled",
        "disabled",
        "campaigns",
        "surveys",
    ],
    "properties": {
        "username": _USERNAME,
        "role": {"type": "string", "enum": [role.value for role in Role]},
        "created_week": _WEEK,
        "last_sign_in_week": {**_WEEK, "nullable": True},
        "two_step": {"type": "boolean"},
        "enrolled": {
            "type": "boolean",
            "description": "False while the account waits for its holder's enrolment code.",
        },
        "disabled": {"type": "boolean"},
        "surveys": {
            "type": "array",
            "description": "The slugs of the surveys whose team it is on (or owns).",
            "items": {"type": "string"},
        },
        "campaigns": {
            "type": "array",
            "description": "The slugs of the campaigns whose team it is on (or owns).",
            "items": {"type": "string"},
        },
    },
}

schemas: dict[str, Any] = {
    "Account": ACCOUNT_SCHEMA,
    "AccountList": {
        "type": "object",
        "required": ["accounts"],
        "properties": {
            "accounts": {"type": "array", "items": {"$ref": "#/components/schemas/Account"}}
        },
    },
    "AccountChanged": {
        "type": "object",
        "required": ["account", "inbox"],
        "properties": {
            "account": {"$ref": "#/components/schemas/Account"},
            "inbox": {
                "type": "string",
                "enum": ["none", "granted", "pending"],
                "description": "The report inbox key: not held by this role (none), held "
                "(granted), or waiting for someone who holds it to give it on the web "
                "(pending).",
            },
        },
    },
    "AccountRemoved": {
        "type": "object",
        "required": ["username", "removed"],
        "properties": {"username": _USERNAME, "removed": {"type": "boolean", "enum": [True]}},
    },
    "AccountReset": {
        "type": "object",
        "required": ["username", "code", "valid_hours"],
        "properties": {
            "username": _USERNAME,
            "code": {
                "type": "string",
                "description": "The one-time enrolment code: shown here only, never again.",
            },
            "valid_hours": {"type": "integer", "enum": [24]},
        },
    },
}
