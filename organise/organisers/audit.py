"""The accounts' audit log: who changed which account, how, and the week; shown to admins.

Append-only: `record` inserts, nothing updates or deletes (`AuditEntry` refuses both). Only the
week is kept, never a time of day, like everything else here that people's actions leave.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.backends.base.client import BaseDBAsyncClient

from organise.organisers.models import AuditAction, AuditEntry, Organiser
from organise.weeks import week_of

# The actor of what the server's operator does at the command line.
COMMAND_LINE = ""
SHOWN_ENTRIES = 200


def actor_name(acting: Organiser | None) -> str:
    return COMMAND_LINE if acting is None else acting.username


async def record(
    action: AuditAction,
    subject: Organiser,
    *,
    acting: Organiser | None,
    now: datetime,
    detail: str = "",
    campaign_id: UUID | None = None,
    connection: BaseDBAsyncClient | None = None,
) -> AuditEntry:
    return await AuditEntry.create(
        using_db=connection,
        week=week_of(now),
        actor=actor_name(acting),
        action=action,
        subject=subject.username,
        subject_id=subject.id,
        detail=detail[:200],
        campaign_id=campaign_id,
    )


async def recent(limit: int = SHOWN_ENTRIES) -> list[AuditEntry]:
    """The latest weeks' entries, newest week first (within a week, in no telling order)."""
    return await AuditEntry.all().order_by("-week", "id").limit(limit)
