"""API tokens: `Authorization: Bearer ...` for organisers' scripts, stored as keyed hashes."""

from __future__ import annotations

import uuid

from crypto import codes
from organise.i18n import _, _l
from organise.organisers.errors import AccountError
from organise.organisers.models import ApiToken, Organiser

TOKEN_PREFIX = "org_"  # noqa: S105  (a label, not a secret)
MAX_TOKENS_PER_ORGANISER = 20


def _token_hash(token: str, secret_key: bytes) -> str:
    return codes.code_hash(token, secret_key, kind="token").hex()


async def create_token(
    organiser: Organiser, name: str, *, secret_key: bytes
) -> tuple[ApiToken, str]:
    """A new token; returns the row and the token itself (shown once, never stored).

    `name` has been read through `fields.API_TOKEN` (which limits its length).
    """
    name = name.strip() or _("unnamed")
    if await ApiToken.filter(organiser_id=organiser.id).count() >= MAX_TOKENS_PER_ORGANISER:
        raise AccountError(
            _l("You have too many API tokens; revoke one first."), code="too_many_tokens"
        )
    token = TOKEN_PREFIX + codes.new_token(32)
    row = await ApiToken.create(
        organiser=organiser, name=name, token_hash=_token_hash(token, secret_key)
    )
    return row, token


async def organiser_for_token(token: str, *, secret_key: bytes) -> Organiser | None:
    if not token.startswith(TOKEN_PREFIX) or len(token) > 128:
        return None
    row = await ApiToken.get_or_none(token_hash=_token_hash(token, secret_key)).prefetch_related(
        "organiser"
    )
    return row.organiser if row else None


async def revoke_token(token_id: str, *, organiser: Organiser | None = None) -> bool:
    """Delete a token by id (only among `organiser`'s when given). True if one was deleted."""
    try:
        parsed = uuid.UUID(token_id)
    except ValueError:
        return False
    query = ApiToken.filter(id=parsed)
    if organiser is not None:
        query = query.filter(organiser_id=organiser.id)
    return await query.delete() == 1


async def tokens_of(organiser: Organiser) -> list[ApiToken]:
    return await ApiToken.filter(organiser_id=organiser.id).order_by("created_at")
