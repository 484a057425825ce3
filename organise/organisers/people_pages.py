"""The accounts page: an admin's list of accounts, their operations, and the audit log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from organise.campaigns import team
from organise.i18n import _
from organise.organisers import audit, people
from organise.organisers.fields import REMOVAL, ROLE_CHANGE
from organise.organisers.models import Organiser
from organise.organisers.sessions import organiser_private_key
from organise.refusal import Refused
from organise.roles import Role
from organise.runtime import runtime
from organise.web.access import organisers
from organise.web.forms import read_form
from organise.web.templating import render


async def _page(
    request: Request,
    *,
    message: str | None = None,
    error: str | None = None,
    reset_code: str | None = None,
    reset_for: str | None = None,
    status: int = 200,
) -> Response:
    acting = request.state.organiser
    context = {
        "accounts": await people.list_accounts(acting),
        "entries": await audit.recent(),
        "waiting": [campaign.slug for campaign in await team.waiting_for_owner()],
        "roles": [role.value for role in people.CHANGEABLE_ROLES],
        "message": message,
        "error": error,
        "reset_code": reset_code,
        "reset_for": reset_for,
    }
    return render(request, "organisers/people.html", context, status)


def _username(request: Request) -> str:
    return str(request.path_params["username"])[:64]


@organisers(Role.ADMIN)
async def index(request: Request) -> Response:
    return await _page(request)


Switch = Callable[..., Awaitable[Organiser]]


async def _switch(request: Request, operation: Switch, done: str) -> Response:
    """Disable or enable the account in the URL; `done` names it as %(name)s."""
    await read_form(request)
    try:
        found = await operation(
            request.state.organiser, _username(request), now=runtime(request).clock()
        )
    except Refused as refusal:
        return await _page(request, error=refusal.message, status=refusal.status)
    return await _page(request, message=done % {"name": found.username})


@organisers(Role.ADMIN)
async def disable(request: Request) -> Response:
    done = _("%(name)s is disabled: its sessions and API tokens have ended.")
    return await _switch(request, people.disable, done)


@organisers(Role.ADMIN)
async def enable(request: Request) -> Response:
    return await _switch(request, people.enable, _("%(name)s is enabled again."))


@organisers(Role.ADMIN)
async def remove(request: Request) -> Response:
    form = await read_form(request)
    name = _username(request)
    try:
        REMOVAL.read_form(form)
        await people.remove(request.state.organiser, name, now=runtime(request).clock())
    except Refused as refusal:
        return await _page(request, error=refusal.message, status=refusal.status)
    return await _page(request, message=_("%(name)s is removed.") % {"name": name})


@organisers(Role.ADMIN)
async def reset(request: Request) -> Response:
    await read_form(request)
    context = runtime(request)
    name = _username(request)
    try:
        code = await people.issue_reset(
            request.state.organiser, name, pepper=context.code_pepper, now=context.clock()
        )
    except Refused as refusal:
        return await _page(request, error=refusal.message, status=refusal.status)
    return await _page(request, reset_code=code, reset_for=name)


@organisers(Role.ADMIN)
async def change_role(request: Request) -> Response:
    form = await read_form(request)
    context = runtime(request)
    name = _username(request)
    try:
        values = ROLE_CHANGE.read_form(form)
        outcome = await people.change_role(
            request.state.organiser,
            name,
            values["role"],
            access=people.InboxAccess(context.keystore, organiser_private_key(request)),
            now=context.clock(),
        )
    except Refused as refusal:
        return await _page(request, error=refusal.message, status=refusal.status)
    messages = {
        people.GrantOutcome.NONE: _("%(name)s is now %(role)s."),
        people.GrantOutcome.GRANTED: _(
            "%(name)s is now %(role)s, with access to the report inbox, given by you now."
        ),
        people.GrantOutcome.PENDING: _(
            "%(name)s is now %(role)s. Its access to the report inbox waits for someone who "
            "holds it (and for the account to have its key): it is on their list of things "
            "to do."
        ),
    }
    return await _page(
        request, message=messages[outcome] % {"name": name, "role": values["role"].value}
    )


routes = [
    Route("/people/", index, methods=["GET"], name="people"),
    Route("/people/{username}/disable", disable, methods=["POST"], name="people_disable"),
    Route("/people/{username}/enable", enable, methods=["POST"], name="people_enable"),
    Route("/people/{username}/remove", remove, methods=["POST"], name="people_remove"),
    Route("/people/{username}/reset", reset, methods=["POST"], name="people_reset"),
    Route("/people/{username}/role", change_role, methods=["POST"], name="people_role"),
]
