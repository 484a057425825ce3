"""Admins' operations on accounts: list, disable, enable, remove, reset, change role.

Each function takes the acting admin (`acting`; None for the server's operator at the command
line, who holds the whole server anyway), checks the role itself, raises `Refused`, and records
what it changed in the audit log (`audit`), so a JSON handler can call it as the pages and the
`organise organiser` commands do. `remember` (the record of the JSON API's `Idempotency-Key`)
runs last in the change's transaction, so the record exists if and only if the change does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

import nacl.public
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from organise.campaigns.models import Campaign, CampaignMember
from organise.i18n import _, _l
from organise.organisers import accounts, audit, enrolment, resets, sessions
from organise.organisers.errors import AccountError
from organise.organisers.models import (
    AuditAction,
    Organiser,
)
from organise.refusal import Refused
from organise.reports import inbox
from organise.roles import Role
from organise.submissions.once import Record
from organise.surveys.models import Survey, SurveyMember
from organise.weeks import week_of


def require_admin(acting: Organiser | None) -> None:
    """Only an enabled admin (or the operator at the command line, `acting` None)."""
    if acting is not None and (acting.role != Role.ADMIN or acting.disabled):
        raise Refused(_l("Only an admin can manage accounts."), status=403, code="forbidden")


async def find(username: str) -> Organiser:
    try:
        name = accounts.normalise_username(username)
    except AccountError:
        name = ""
    found = await Organiser.get_or_none(username=name) if name else None
    if found is None:
        raise Refused(
            {"username": _l("There is no account %(name)s.", name=username.strip()[:64])},
            status=404,
            code="unknown_account",
        )
    return found


@dataclass(frozen=True)
class AccountSummary:
    username: str
    role: Role
    created_week: date
    last_sign_in_week: date | None
    two_step: bool
    enrolled: bool
    has_key: bool
    disabled: bool
    campaigns: tuple[str, ...]
    surveys: tuple[str, ...]


async def list_accounts(acting: Organiser | None) -> list[AccountSummary]:
    """Every account, by name, with the campaigns and surveys whose team it is on."""
    require_admin(acting)
    slugs: dict[object, set[str]] = {}
    for owner_id, slug in await Campaign.exclude(owner_id=None).values_list("owner_id", "slug"):
        slugs.setdefault(owner_id, set()).add(slug)
    for organiser_id, slug in await CampaignMember.all().values_list(
        "organiser_id", "campaign__slug"
    ):
        slugs.setdefault(organiser_id, set()).add(slug)
    surveys: dict[object, set[str]] = {}
    for owner_id, slug in await Survey.exclude(owner_id=None).values_list("owner_id", "slug"):
        surveys.setdefault(owner_id, set()).add(slug)
    for organiser_id, slug in await SurveyMember.all().values_list("organiser_id", "survey__slug"):
        surveys.setdefault(organiser_id, set()).add(slug)
    return [
        AccountSummary(
            username=organiser.username,
            role=organiser.role,
            created_week=week_of(organiser.created_at),
            last_sign_in_week=organiser.last_sign_in_week,
            two_step=organiser.has_totp,
            enrolled=organiser.enrolled,
            has_key=organiser.public_key is not None,
            disabled=organiser.disabled,
            campaigns=tuple(sorted(slugs.get(organiser.id, ()))),
            surveys=tuple(sorted(surveys.get(organiser.id, ()))),
        )
        for organiser in await Organiser.all().order_by("username")
    ]


async def account_summary(acting: Organiser | None, username: str) -> AccountSummary:
    """One account's line of the list (Refused 404 when there is no such account)."""
    require_admin(acting)
    name = (await find(username)).username
    for summary in await list_accounts(acting):
        if summary.username == name:
            return summary
    return await account_summary(acting, name)  # removed meanwhile: find() refuses it now


async def _refuse_last_admin(organiser: Organiser, what: str) -> None:
    """Refused when `organiser` is the only enabled admin: nobody could manage accounts.

    Call inside the transaction that makes the change: the enabled admins' rows are locked (in
    one order), so two admins disabling each other at once cannot both pass.
    """
    if organiser.role != Role.ADMIN or organiser.disabled:
        return
    admins = await (
        Organiser.filter(role=Role.ADMIN, disabled=False).order_by("id").select_for_update()
    )
    if not [admin for admin in admins if admin.id != organiser.id]:
        raise AccountError(
            _l(
                "%(name)s is the last admin: it cannot be %(what)s. Make another account an "
                "admin first.",
                name=organiser.username,
                what=what,
            ),
            code="last_admin",
            status=409,
        )


async def _done(
    connection: BaseDBAsyncClient,
    action: AuditAction,
    organiser: Organiser,
    acting: Organiser | None,
    now: datetime,
    remember: Record[Organiser] | None,
    detail: str = "",
) -> None:
    """How every admin operation on an account ends, inside its transaction: the audit line,
    and (for an API request's Idempotency-Key) the account it was done to."""
    await audit.record(action, organiser, acting=acting, now=now, detail=detail)
    if remember is not None:
        await remember(connection, organiser)


async def disable(
    acting: Organiser | None,
    username: str,
    *,
    now: datetime,
    remember: Record[Organiser] | None = None,
) -> Organiser:
    """Its sessions and API tokens end now; its key and team places are kept."""
    require_admin(acting)
    organiser = await find(username)
    if organiser.disabled:
        raise AccountError(
            _l("%(name)s is already disabled.", name=organiser.username),
            code="already_disabled",
            status=409,
        )
    await resets.refuse_if_gatekeeper(organiser, _("disabled"))
    async with in_transaction() as connection:
        await _refuse_last_admin(organiser, _("disabled"))
        organiser.disabled = True
        await organiser.save(update_fields=["disabled"])
        await sessions.end_access(organiser)
        await _done(connection, AuditAction.DISABLED, organiser, acting, now, remember)
    return organiser


async def enable(
    acting: Organiser | None,
    username: str,
    *,
    now: datetime,
    remember: Record[Organiser] | None = None,
) -> Organiser:
    """Back as it was: its key has not changed, so its team places count again."""
    require_admin(acting)
    organiser = await find(username)
    if not organiser.disabled:
        raise AccountError(
            _l("%(name)s is not disabled.", name=organiser.username),
            code="not_disabled",
            status=409,
        )
    async with in_transaction() as connection:
        organiser.disabled = False
        await organiser.save(update_fields=["disabled"])
        await _done(connection, AuditAction.ENABLED, organiser, acting, now, remember)
    return organiser


async def remove(
    acting: Organiser | None,
    username: str,
    *,
    now: datetime,
    remember: Record[Organiser] | None = None,
) -> None:
    """Delete the account, its key, sessions, tokens, codes, grants and team places.

    A campaign it owned is left without an owner and, if nobody else on its team can receive
    pledges, waits for an admin to assign one (listed on the campaigns page).
    """
    require_admin(acting)
    organiser = await find(username)
    if acting is not None and acting.id == organiser.id:
        raise AccountError(
            _l("You cannot remove your own account here."), code="own_account", status=409
        )
    await resets.refuse_if_gatekeeper(organiser, _("removed"))
    async with in_transaction() as connection:
        await _refuse_last_admin(organiser, _("removed"))
        await _done(connection, AuditAction.REMOVED, organiser, acting, now, remember)
        await organiser.delete()


async def issue_reset(
    acting: Organiser | None,
    username: str,
    *,
    pepper: bytes,
    now: datetime,
    remember: Record[Organiser] | None = None,
) -> str:
    """A one-time reset code (24 hours), to be given privately to the account's holder.

    `remember` is told the account, never the code: the code is shown once, where it is issued.
    """
    require_admin(acting)
    organiser = await find(username)
    if organiser.public_key is None:
        raise AccountError(
            _l(
                "%(name)s has not enrolled yet: give it a new enrolment code instead.",
                name=organiser.username,
            ),
            code="not_enrolled",
            status=409,
        )
    await resets.refuse_if_gatekeeper(organiser, _("reset"))
    async with in_transaction() as connection:
        code = await enrolment.issue_code(organiser, pepper=pepper, now=now, reset=True)
        await _done(connection, AuditAction.RESET_ISSUED, organiser, acting, now, remember)
    return code


class GrantOutcome(StrEnum):
    NONE = "none"  # the new role does not hold the inbox key
    GRANTED = "granted"  # sealed to the account in the same step
    PENDING = "pending"  # waits for someone who holds the key (the attention list)


@dataclass(frozen=True)
class InboxAccess:
    """What the acting admin brings to a role change: the keystore and, from a signed-in
    session, their private key (None at the command line or with an API token)."""

    keystore: Keystore
    private_key: nacl.public.PrivateKey | None


CHANGEABLE_ROLES = (Role.ADMIN, Role.ORGANISER, Role.REVIEWER)


async def change_role(
    acting: Organiser | None,
    username: str,
    role: Role,
    *,
    access: InboxAccess,
    now: datetime,
    remember: Record[Organiser] | None = None,
) -> GrantOutcome:
    """Give an account another role. A reviewer or admin gets the report inbox key at once
    when the acting admin holds it and the account has its key; otherwise the grant waits."""
    require_admin(acting)
    organiser = await find(username)
    if Role.GATEKEEPER in (role, organiser.role):
        raise AccountError(
            _l("A gatekeeper account stays a gatekeeper; make a new account instead."),
            field="role",
            code="gatekeeper_role",
            status=409,
        )
    if organiser.role == role:
        raise AccountError(
            _l("%(name)s is already %(role)s.", name=organiser.username, role=role.value),
            field="role",
            code="same_role",
            status=409,
        )
    before = organiser.role
    async with in_transaction() as connection:
        await _refuse_last_admin(organiser, _("given another role"))
        organiser.role = role
        await organiser.save(update_fields=["role"])
        detail = f"{before.value} -> {role.value}"
        await _done(connection, AuditAction.ROLE_CHANGED, organiser, acting, now, remember, detail)
    if role not in inbox.REVIEW_ROLES:
        await inbox.ensure_inbox(access.keystore)  # drops the former reviewer's grant
        return GrantOutcome.NONE
    return await grant_inbox(acting, organiser, access=access, now=now)


async def grant_inbox(
    acting: Organiser | None, organiser: Organiser, *, access: InboxAccess, now: datetime
) -> GrantOutcome:
    """Seal the report inbox key to a reviewer or admin now, if the acting account can."""
    if organiser.public_key is None or organiser.disabled or access.private_key is None:
        return GrantOutcome.PENDING
    if acting is None:
        return GrantOutcome.PENDING
    box = await inbox.ensure_inbox(access.keystore)
    key = await inbox.inbox_private_key(box, acting, access.private_key)
    if key is None:
        return GrantOutcome.PENDING
    if await inbox.grant(box, key, organiser):
        await audit.record(AuditAction.INBOX_GRANTED, organiser, acting=acting, now=now)
    return GrantOutcome.GRANTED
