"""The accounts as JSON, for admins' scripts: /api/v1/organiser/accounts.

The same operations as the accounts page (`people_pages`), through the same domain calls
(`people`): the same refusals, the same audit lines. Every write accepts an `Idempotency-Key`:
the same key and body again answer as the first time did and change nothing more. A reset's
code is the exception: it is shown once, so a reset sent again with its key is refused instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.i18n import _
from organise.organisers import people
from organise.organisers.enrolment import RESET_VALID_FOR
from organise.organisers.fields import REMOVAL_API, ROLE_CHANGE
from organise.organisers.models import Organiser
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.reports import inbox
from organise.reports.models import InboxGrant
from organise.roles import Role
from organise.runtime import runtime
from organise.submissions import tokens
from organise.submissions.once import Outcomes, Record, run_once
from organise.web.access import organisers
from organise.web.jsonbody import read_json_object
from organise.web.openapi import Operation, documented, organiser_write

USERNAME_SCHEMA = {"type": "string", "minLength": 1, "maxLength": 64}
_PATH = {"username": USERNAME_SCHEMA}
# What a write keeps for its Idempotency-Key: the account's name, never a code.
_BY_NAME = Outcomes[str](
    keep=lambda name: {"username": name}, shown_again=lambda kept: kept["username"]
)


def _username(request: Request) -> str:
    return str(request.path_params["username"])[:64]


async def _inbox_held(organiser_username: str) -> str:
    """Whether the account holds the report inbox key now: "granted", "pending" or "none"."""
    found = await Organiser.get_or_none(username=organiser_username)
    if found is None or found.role not in inbox.REVIEW_ROLES:
        return "none"
    held = await InboxGrant.filter(organiser_id=found.id).exists()
    return "granted" if held else "pending"


def _account(summary: people.AccountSummary) -> dict[str, Any]:
    return {
        "username": summary.username,
        "role": summary.role.value,
        "created_week": summary.created_week.isoformat(),
        "last_sign_in_week": (
            summary.last_sign_in_week.isoformat() if summary.last_sign_in_week else None
        ),
        "two_step": summary.two_step,
        "enrolled": summary.enrolled,
        "disabled": summary.disabled,
        "campaigns": list(summary.campaigns),
        "surveys": list(summary.surveys),
    }


async def _answer(request: Request, username: str) -> Response:
    summary = await people.account_summary(request.state.organiser, username)
    return JSONResponse(
        {"account": _account(summary), "inbox": await _inbox_held(summary.username)}
    )


def _by_name(remember: Record[str] | None) -> Record[Organiser] | None:
    """The Idempotency-Key's record, told the account's name by the domain call."""
    if remember is None:
        return None
    keep = remember

    async def record(connection: Any, organiser: Organiser) -> None:
        await keep(connection, organiser.username)

    return record


Change = Callable[[Record[Organiser] | None], Awaitable[object]]
# `people.disable` or `people.enable`.
Switch = Callable[..., Awaitable[Organiser]]


async def _once(
    request: Request,
    operation: str,
    values: Mapping[str, object],
    change: Change,
    outcomes: Outcomes[str] = _BY_NAME,
) -> str:
    """Run `change` once per Idempotency-Key (and body); the account's name."""
    name = _username(request)
    once = await tokens.organiser_submission(
        request, f"account-{operation}", {"username": name, **values}
    )

    async def work(*, remember: Record[str] | None) -> str:
        await change(_by_name(remember))
        return name

    return await run_once(once, work, outcomes, other_content="refuse")


async def _no_body(request: Request) -> None:
    """These writes take no fields: an empty body, or an empty JSON object."""
    if await request.body() and (await read_json_object(request)) != {}:
        raise Refused(
            _("This request takes no fields: send no body, or {}."),
            status=422,
            code="unknown_field",
        )


async def _switch(request: Request, operation: str, switch: Switch) -> Response:
    """Disable or enable the account of the address (`switch`): no body; the account now."""
    await _no_body(request)
    context, acting = runtime(request), request.state.organiser
    name = await _once(
        request,
        operation,
        {},
        lambda remember: switch(acting, _username(request), now=context.clock(), remember=remember),
    )
    return await _answer(request, name)


_ACCOUNT_ANSWER = ("AccountChanged", "The account as it is now.")


@organisers(Role.ADMIN)
@documented(
    Operation(
        summary="Every organiser account: role, created, last sign-in week, two-step sign-in, "
        "campaign teams. Admins only.",
        answers={200: ("AccountList", "The accounts, by name.")},
        refusals=(401, 403),
        organisers_only=True,
    )
)
async def accounts(request: Request) -> Response:
    found = await people.list_accounts(request.state.organiser)
    return JSONResponse({"accounts": [_account(summary) for summary in found]})


@organisers(Role.ADMIN)
@documented(
    organiser_write(
        "Disable an account: its sessions and API tokens end at once; its key and "
        "team places are kept. Refused for the last admin and for a gatekeeper of an "
        "unfinished campaign.",
        {200: _ACCOUNT_ANSWER},
        path_schemas=_PATH,
    )
)
async def disable(request: Request) -> Response:
    return await _switch(request, "disable", people.disable)


@organisers(Role.ADMIN)
@documented(
    organiser_write(
        "Enable a disabled account again, with the team places it had.",
        {200: _ACCOUNT_ANSWER},
        path_schemas=_PATH,
    )
)
async def enable(request: Request) -> Response:
    return await _switch(request, "enable", people.enable)


@organisers(Role.ADMIN)
@documented(
    organiser_write(
        'Remove an account for good (with {"confirm": true}): its key, sessions, '
        "tokens and team places. Refused for your own account, the last admin and a "
        "gatekeeper of an unfinished campaign.",
        {200: ("AccountRemoved", "Removed.")},
        body=REMOVAL_API,
        path_schemas=_PATH,
    )
)
async def remove(request: Request) -> Response:
    REMOVAL_API.read_json(await read_json_object(request))
    context, acting = runtime(request), request.state.organiser
    name = await _once(
        request,
        "remove",
        {"confirm": True},
        lambda remember: people.remove(
            acting, _username(request), now=context.clock(), remember=remember
        ),
    )
    return JSONResponse({"username": name, "removed": True})


def _reset_shown_once(_kept: Mapping[str, Any]) -> str:
    raise Refused(
        _(
            "This reset was already issued with this Idempotency-Key, and its code is shown "
            "only once. If the code was lost, issue a new reset with a new key: the new code "
            "replaces the old one."
        ),
        status=409,
        code="reset_already_issued",
    )


_RESET_ONCE = Outcomes[str](keep=lambda name: {"username": name}, shown_again=_reset_shown_once)


@organisers(Role.ADMIN)
@documented(
    organiser_write(
        "Issue a passphrase reset: a one-time enrolment code, valid 24 hours, shown "
        "in this answer only. Give it to the account's holder privately. When redeemed, the "
        "account gets a new key pair and leaves every campaign team.",
        {200: ("AccountReset", "The code, shown this once.")},
        path_schemas=_PATH,
    )
)
async def reset(request: Request) -> Response:
    await _no_body(request)
    context, acting = runtime(request), request.state.organiser
    issued: list[str] = []

    async def issue(remember: Record[Organiser] | None) -> None:
        issued.append(
            await people.issue_reset(
                acting,
                _username(request),
                pepper=context.code_pepper,
                now=context.clock(),
                remember=remember,
            )
        )

    name = await _once(request, "reset", {}, issue, _RESET_ONCE)
    [code] = issued
    return JSONResponse(
        {
            "username": name,
            "code": code,
            "valid_hours": int(RESET_VALID_FOR.total_seconds() // 3600),
        }
    )


@organisers(Role.ADMIN)
@documented(
    organiser_write(
        "Give an account another role. A new reviewer or admin gets the report inbox "
        'key only from someone who holds it on the web ("inbox": "pending" until then): an '
        "API token holds no private key.",
        {200: _ACCOUNT_ANSWER},
        body=ROLE_CHANGE,
        path_schemas=_PATH,
    )
)
async def change_role(request: Request) -> Response:
    values = ROLE_CHANGE.read_json(await read_json_object(request))
    context, acting = runtime(request), request.state.organiser
    # A browser session brings its private key; an API token has none (the grant waits).
    key = organiser_private_key(request) if request.state.session is not None else None
    access = people.InboxAccess(context.keystore, key)
    name = await _once(
        request,
        "role",
        {"role": values["role"].value},
        lambda remember: people.change_role(
            acting,
            _username(request),
            values["role"],
            access=access,
            now=context.clock(),
            remember=remember,
        ),
    )
    return await _answer(request, name)


PREFIX = "/api/v1/organiser/accounts"

routes = [
    Route(PREFIX, accounts, methods=["GET"], name="api_accounts"),
    Route(PREFIX + "/{username}/disable", disable, methods=["POST"], name="api_account_disable"),
    Route(PREFIX + "/{username}/enable", enable, methods=["POST"], name="api_account_enable"),
    Route(PREFIX + "/{username}/remove", remove, methods=["POST"], name="api_account_remove"),
    Route(PREFIX + "/{username}/reset", reset, methods=["POST"], name="api_account_reset"),
    Route(PREFIX + "/{username}/role", change_role, methods=["POST"], name="api_account_role"),
]
