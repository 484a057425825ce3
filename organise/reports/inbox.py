"""The report inbox key: one X25519 key pair that report details and messages are sealed to.

Its public key is in the database. Its private key is stored only sealed (crypto.sealing) to
each reviewer's and admin's own public key, one InboxGrant row each, so a reviewer opens report
details with their own key, unlocked by their passphrase at sign-in.

- Created at the first report (or the first visit of a reviewer), sealed to every reviewer and
  admin account that exists then.
- If no reviewer or admin account exists yet, the private key waits in the keystore (not the
  database) and is sealed to the first reviewers and admins as soon as any exist; it is then
  deleted from the keystore. Until then whoever holds the server's keystore could read reports.
- Reviewers and admins added later get access from someone who has it (`grant`): that person's
  key opens the inbox key, which is sealed again to the newcomer's public key.
- An organiser who is no longer a reviewer or admin loses their grant (`drop_former_reviewers`,
  at the next report or reviewer visit) as long as a current reviewer or admin keeps one.
"""

from __future__ import annotations

import uuid

import anyio
import nacl.public
from anyio import to_thread
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Subquery
from tortoise.transactions import in_transaction

from crypto.keystore import Keystore
from crypto.sealing import open_sealed, seal_to_recipients
from organise.db import column_values
from organise.organisers.models import Organiser
from organise.reports.models import InboxGrant, ReportInbox
from organise.roles import Role

INBOX_NAME = "default"
REVIEW_ROLES = (Role.REVIEWER, Role.ADMIN)


def pending_key_name(inbox: ReportInbox) -> str:
    return f"reports/inbox/{inbox.id}/pending-private-key"


def grant_context(inbox: ReportInbox, organiser: Organiser) -> str:
    return f"organise/report-inbox/{inbox.id}/grant/{organiser.id}"


def _grant(
    inbox: ReportInbox,
    private_key: nacl.public.PrivateKey,
    organiser: Organiser,
    public_key: bytes | None = None,
) -> InboxGrant:
    recipient = public_key or organiser.public_key
    if recipient is None:
        raise ValueError("An account without a key cannot hold the report inbox key.")
    sealed = seal_to_recipients(
        bytes(private_key), [recipient], context=grant_context(inbox, organiser)
    )
    return InboxGrant(inbox_id=inbox.id, organiser_id=organiser.id, sealed_private_key=sealed)


async def reviewers() -> list[Organiser]:
    # An account waiting for enrolment has no key yet: it is granted access once it has one.
    return list(
        await Organiser.filter(role__in=REVIEW_ROLES, public_key__isnull=False).order_by("username")
    )


async def _create(keystore: Keystore) -> ReportInbox:
    private_key = nacl.public.PrivateKey.generate()
    holders = await reviewers()
    inbox = ReportInbox(id=uuid.uuid4(), name=INBOX_NAME, public_key=bytes(private_key.public_key))
    pending = pending_key_name(inbox)
    stored = False
    try:
        async with in_transaction():
            await inbox.save(force_create=True)
            if holders:
                await InboxGrant.bulk_create([_grant(inbox, private_key, o) for o in holders])
            else:
                # The keystore is SQLite with a busy timeout: keep it off the event loop.
                # (The name is new, so deleting it on failure can only remove our own key.)
                stored = True
                await to_thread.run_sync(keystore.put, pending, bytes(private_key))
    except BaseException as failure:
        if stored:  # the inbox row was not committed: leave no orphan key behind
            with anyio.CancelScope(shield=True):
                await to_thread.run_sync(keystore.delete, pending)
        if isinstance(failure, IntegrityError):
            # Another request created it at the same moment: use theirs.
            return await ReportInbox.get(name=INBOX_NAME)
        raise
    return inbox


# Inboxes whose pending key has been handed over (or never existed). Only `_create` stores a
# pending key, under a new inbox's id, so once gone it never comes back: every report need not
# look for it in the keystore again.
_SETTLED: set[uuid.UUID] = set()


async def settle_pending(inbox: ReportInbox, keystore: Keystore) -> bool:
    """Hand a waiting inbox key to the reviewers and admins that now exist, then forget it.

    False while the key still waits, that is while no reviewer or admin exists.
    """
    if inbox.id in _SETTLED:
        return True
    name = pending_key_name(inbox)
    stored = await to_thread.run_sync(keystore.get, name)
    if stored is None:
        _SETTLED.add(inbox.id)
        return True
    holders = await reviewers()
    if not holders:
        return False
    private_key = nacl.public.PrivateKey(stored)
    await InboxGrant.bulk_create(
        [_grant(inbox, private_key, organiser) for organiser in holders], ignore_conflicts=True
    )
    await to_thread.run_sync(keystore.delete, name)
    _SETTLED.add(inbox.id)
    return True


async def drop_former_reviewers(inbox: ReportInbox) -> int:
    """Delete the grants of organisers who are no longer reviewers or admins.

    Kept while no current reviewer or admin holds a grant, so that a mistaken demotion of the
    last holders cannot make every report unreadable. A former reviewer who copied the inbox
    key while they had it is not shut out by this (that would need a new inbox key).
    """
    # One read of the holders' roles decides; the delete (rare) then re-checks the roles itself.
    roles = {
        Role(role)
        for role in await column_values(InboxGrant.filter(inbox_id=inbox.id), "organiser__role")
    }
    if not roles & set(REVIEW_ROLES) or roles <= set(REVIEW_ROLES):
        return 0
    former = Organiser.exclude(role__in=REVIEW_ROLES).values("id")
    return await InboxGrant.filter(inbox_id=inbox.id, organiser_id__in=Subquery(former)).delete()


async def ensure_inbox(keystore: Keystore) -> ReportInbox:
    inbox = await ReportInbox.get_or_none(name=INBOX_NAME)
    if inbox is None:
        inbox = await _create(keystore)
    # While the key waits no reviewer or admin exists, so no grant could be dropped.
    if await settle_pending(inbox, keystore):
        await drop_former_reviewers(inbox)
    return inbox


async def inbox_private_key(
    inbox: ReportInbox, organiser: Organiser, organiser_key: nacl.public.PrivateKey
) -> nacl.public.PrivateKey | None:
    """The inbox private key through this organiser's grant, or None without a grant."""
    grant = await InboxGrant.get_or_none(inbox_id=inbox.id, organiser_id=organiser.id)
    if grant is None:
        return None
    opened = open_sealed(
        grant.sealed_private_key, organiser_key, context=grant_context(inbox, organiser)
    )
    return nacl.public.PrivateKey(opened)


async def grant(
    inbox: ReportInbox, inbox_key: nacl.public.PrivateKey, organiser: Organiser
) -> bool:
    """Give `organiser` access; False if they already had it."""
    if organiser.role not in REVIEW_ROLES:
        raise ValueError("Only reviewers and admins can hold the report inbox key.")
    if await InboxGrant.filter(inbox_id=inbox.id, organiser_id=organiser.id).exists():
        return False
    await InboxGrant.bulk_create([_grant(inbox, inbox_key, organiser)], ignore_conflicts=True)
    return True


async def without_access(inbox: ReportInbox) -> list[Organiser]:
    granted = set(await column_values(InboxGrant.filter(inbox_id=inbox.id), "organiser_id"))
    return [organiser for organiser in await reviewers() if organiser.id not in granted]


async def reseal_grants(
    organiser: Organiser, old_key: nacl.public.PrivateKey, new_public_key: bytes
) -> int:
    """Seal the inbox key(s) this account holds to its new public key (when it is re-keyed).

    The old private key opens each grant; the grant is replaced in place. Call it inside the
    transaction that stores the new key, so the grant and the key never disagree.
    """
    resealed = 0
    for held in await InboxGrant.filter(organiser_id=organiser.id).prefetch_related("inbox"):
        box = held.inbox
        opened = open_sealed(
            held.sealed_private_key, old_key, context=grant_context(box, organiser)
        )
        fresh = _grant(box, nacl.public.PrivateKey(opened), organiser, new_public_key)
        held.sealed_private_key = fresh.sealed_private_key
        await held.save(update_fields=["sealed_private_key"])
        resealed += 1
    return resealed
