"""Campaigns, their sealed pledges, invite-code hashes and the lifecycle log.

What a worker creates (a `Pledge`) holds only: a random id, the campaign, the envelope (ciphertext
of everything they typed), their personal threshold (needed in the clear to choose which pledges
may be opened), the keyed hash of their receipt and the week. No timestamp finer than a week, no
link to the invite code used, no ordering by arrival (ids are random UUIDs).

Campaign rows and the lifecycle log are organisers' metadata; the log never names anyone. Events
a pledge causes (threshold reached or lost, reveal) carry the week only, as pledges do; the times
that drive the clock are rounded up to the hour and cleared once passed (docs/campaigns.md lists
every stored field with its precision and lifetime).
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

if TYPE_CHECKING:
    from organise.organisers.models import Organiser


class CampaignState(StrEnum):
    OPEN = "open"  # collecting pledges, threshold not reached
    COOLING_OFF = "cooling_off"  # threshold reached; withdrawals still possible
    AWAITING_GATE = "awaiting_gate"  # cooling-off over; waiting for gatekeepers' shares
    REVEALING = "revealing"  # one process is revealing right now
    REVEALED = "revealed"
    EXPIRED = "expired"  # deadline passed below the threshold: everything destroyed


class Audience(StrEnum):
    ORGANISERS = "organisers"
    COSIGNERS = "cosigners"
    PUBLIC = "public"


class InviteMode(StrEnum):
    INVITE = "invite"
    OPEN = "open"


class ProgressDisplay(StrEnum):
    EXACT = "exact"
    ROUNDED = "rounded"


class EventKind(StrEnum):
    CREATED = "created"
    THRESHOLD_REACHED = "threshold_reached"
    THRESHOLD_LOST = "threshold_lost"  # withdrawals took the count back below the threshold
    REVEALED = "revealed"
    EXPIRED = "expired"
    SHREDDED = "shredded"  # pledges left sealed after a reveal, destroyed at the deadline
    RELEASE_DESTROYED = "release_destroyed"  # revealed lists destroyed after their retention
    STOPPED = "stopped"  # stopped early by its organisers: destroyed as at an expired deadline
    DEADLINE_EXTENDED = "deadline_extended"  # the organisers moved the deadline later
    LAPSED = "lapsed"  # pledges whose signers kept the earlier deadline, destroyed at it


class Campaign(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    demand = fields.TextField()
    employer = fields.CharField(max_length=200, default="")
    contract = fields.CharField(max_length=300, default="")
    threshold = fields.IntField()
    deadline = fields.DatetimeField()
    cooling_off_hours = fields.IntField()
    audience = fields.CharEnumField(Audience, max_length=16)
    invite_mode = fields.CharEnumField(InviteMode, max_length=16)
    onward_invites = fields.SmallIntField()
    # How many times onward codes may chain: a pledge signed with a generation-g code receives
    # onward codes (of generation g + 1) only while g < invite_depth (`policy.chain_bound`).
    # db_default: what campaigns made before this column get (the default depth).
    invite_depth = fields.SmallIntField(default=1, db_default=1)
    # Days the revealed lists stay readable after the reveal; then `retention` destroys them.
    keep_revealed_days = fields.SmallIntField(default=30, db_default=30)
    progress_display = fields.CharEnumField(ProgressDisplay, max_length=16)
    # crypto.gate.GatePolicy, its public SLIP-39 identifier, and the campaign public key.
    gate_mode = fields.CharField(max_length=32)
    gate_gatekeepers = fields.SmallIntField()
    gate_threshold = fields.SmallIntField()
    gate_identifier = fields.IntField()
    public_key = fields.BinaryField()
    # Keyed BLAKE2b-256 of each gatekeeper share as dealt, by place "<group>-<member>"
    # (`sharecheck`): a handed-in share is kept only if it is the one dealt for its place.
    # None for campaigns without gatekeepers, and for campaigns made before this column.
    share_hashes: fields.JSONField[dict[str, str] | None] = fields.JSONField(null=True)
    # The campaign's team is its owner and its `members`: only they see its organiser pages,
    # and a reveal is sealed to the enabled ones alone (`team`). None only for campaigns made
    # before campaigns had owners, until an administrator assigns one.
    owner: fields.ForeignKeyNullableRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser",
        related_name="owned_campaigns",
        null=True,
        on_delete=fields.SET_NULL,
    )
    # The week an administrator assigned a new owner (shown on the public page and to every
    # signer: that person will read the pledges), and the hour before which no reveal may
    # happen because of it (one cooling-off period after, rounded up to the hour).
    owner_assigned_week = fields.DateField(null=True)
    reveal_not_before = fields.DatetimeField(null=True)

    state = fields.CharEnumField(CampaignState, max_length=16, db_index=True)
    pledge_count = fields.IntField(default=0)
    # Times that drive the clock are rounded up to a whole hour and cleared once passed: kept
    # exact, or kept at all, they would date the signature that crossed the threshold.
    # - cooling_off_ends_at: when cooling-off ends (rounded up); cleared when it ends.
    cooling_off_ends_at = fields.DatetimeField(null=True)
    # - reveal_claimed_at: the claim token of a reveal in progress (exact, because conditional
    #   updates match on it, and a claim lasts minutes); cleared when the reveal ends.
    reveal_claimed_at = fields.DatetimeField(null=True)
    # - revealed_at: rounded up; drives the retention, cleared when the lists are destroyed.
    revealed_at = fields.DatetimeField(null=True)
    revealed_count = fields.IntField(null=True)
    # Pledges destroyed unread: at expiry, or left sealed after a reveal and shredded.
    destroyed_count = fields.IntField(default=0)
    shredded = fields.BooleanField(default=False)
    # Keystore keys of this campaign still to be deleted (set with a transition, cleared once
    # they are gone), so a crash between the database commit and the keystore never leaves them.
    keys_pending = fields.BooleanField(default=False)
    # The revealed pledges, per audience: the head of a stream of sealed chunks
    # (crypto.streams; the chunks are ReleasedChunk rows), sealed to the organisers' public keys,
    # and for co-signers and the public under a keystore key. Releases made before streaming
    # hold one whole blob here instead (crypto.sealing / crypto.atrest), still readable.
    released_to_organisers = fields.BinaryField(null=True)
    released_to_cosigners = fields.BinaryField(null=True)
    released_to_public = fields.BinaryField(null=True)
    # The revealed lists were destroyed at the end of `keep_revealed_days` (`retention`).
    release_destroyed = fields.BooleanField(default=False, db_default=False)
    created_at = fields.DatetimeField(auto_now_add=True)
    # Stopped early by its organisers (`operations.stop`): the state is `expired`, reached by
    # the very path a passed deadline takes; this says who ended it, for the public page.
    stopped = fields.BooleanField(default=False, db_default=False)
    # The deadline before the organisers last extended it (`deadlines.extend_deadline`);
    # pledges signed before keep their own deadline unless their signers opt in.
    deadline_moved_from = fields.DatetimeField(null=True)
    # Taken off the campaign lists by its team once finished; its pages stay where they were.
    archived = fields.BooleanField(default=False, db_default=False)
    # The title and demand in the site's other languages (`organise.i18n.written`):
    # {"fr": {"title": ..., "demand": ...}}. The columns above hold the default language's.
    # Words only; what a worker pledges to is the same campaign whatever they read.
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict, db_default="{}")

    pledges: fields.ReverseRelation[Pledge]
    events: fields.ReverseRelation[LifecycleEvent]

    class Meta:
        table = "campaign"


class Pledge(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="pledges", on_delete=fields.CASCADE
    )
    # crypto.envelope; emptied once the pledge is revealed (its key is deleted then too).
    envelope = fields.BinaryField(null=True)
    # In the clear on purpose: the revealed set is chosen before any envelope is opened.
    personal_threshold = fields.IntField()
    receipt_hash = fields.CharField(max_length=64, unique=True)
    week = fields.DateField()
    revealed = fields.BooleanField(default=False)
    # The deadline its signer agreed to: the campaign's when they signed, or a later one they
    # opted in to with their receipt. Unrevealed by then, the pledge is destroyed at it
    # (`deadlines.drop_lapsed`). None only for rows from before this column, which the
    # migration and every extension fill in with the campaign's deadline.
    # Indexed: every tick looks for pledges past their own deadline.
    deadline = fields.DatetimeField(null=True, db_index=True)

    class Meta:
        table = "campaign_pledge"


class CampaignMember(Model):
    """A co-organiser of a campaign (the owner is on the campaign row), added by the owner."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="members", on_delete=fields.CASCADE
    )
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="campaign_memberships", on_delete=fields.CASCADE
    )

    class Meta:
        table = "campaign_member"
        unique_together = (("campaign", "organiser"),)


class ReleasedChunk(Model):
    """One sealed chunk of a campaign's revealed pledges for one audience (see `release`).

    The head is on the campaign row; chunks are read in `position` order and authenticated as
    one sequence, so a missing, moved or foreign chunk is detected.
    """

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="released_chunks", on_delete=fields.CASCADE
    )
    audience = fields.CharEnumField(Audience, max_length=16)
    position = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "campaign_released_chunk"
        unique_together = (("campaign", "audience", "position"),)


class InviteBatch(Model):
    """A named batch of invite codes, for the team to revoke together (`invites.revoke_batch`).

    Its name never reaches a slip or a signer; it holds no count of its codes, used or not.
    """

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="invite_batches", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=100)
    week = fields.DateField()  # the Monday of the week it was minted
    revoked = fields.BooleanField(default=False)

    class Meta:
        table = "campaign_invite_batch"
        unique_together = (("campaign", "name"),)


class InviteCode(Model):
    """An unused invite code (its keyed hash). Using it deletes the row: no code-to-pledge link."""

    code_hash = fields.CharField(max_length=64, primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="invites", on_delete=fields.CASCADE
    )
    # 0 for codes an organiser made; g + 1 for onward codes given to a pledge signed with a
    # generation-g code. Deleted with the row when used: nothing links it to the pledge.
    # db_default 3 (the largest depth): codes made before generations were stored, and any row
    # written without one, never give onward codes.
    generation = fields.SmallIntField(default=0, db_default=3)
    # The organiser's batch it was minted in; None for onward codes and older codes.
    batch: fields.ForeignKeyNullableRelation[InviteBatch] = fields.ForeignKeyField(
        "campaigns.InviteBatch", related_name="codes", null=True, on_delete=fields.CASCADE
    )

    class Meta:
        table = "campaign_invite"


class LifecycleEvent(Model):
    """Append-only: rows are inserted by transitions and never updated. Nobody is named."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="events", on_delete=fields.CASCADE
    )
    kind = fields.CharEnumField(EventKind, max_length=24)
    at = fields.DatetimeField()
    # Pledges concerned (revealed, destroyed), when that is meaningful; never who.
    count = fields.IntField(null=True)

    class Meta:
        table = "campaign_event"


class WithdrawnKey(Model):
    """A withdrawn pledge's keystore key, still to be deleted.

    Inserted in the withdrawal's transaction; the key is deleted after the commit and then the
    row. A row left by a process that died in between is finished by the next tick.
    """

    name = fields.CharField(max_length=128, primary_key=True)

    class Meta:
        table = "campaign_withdrawn_key"


class HeldShare(Model):
    """A gatekeeper share sealed at creation to a gatekeeper account's own public key.

    Nobody saw it: the server dealt it in memory and sealed it (crypto.sealing) before storing.
    Only the gatekeeper's private key, unwrapped by their passphrase when they release it,
    opens it. Emptied once handed in.
    """

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="held_shares", on_delete=fields.CASCADE
    )
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="held_shares", on_delete=fields.CASCADE
    )
    campaign_id: uuid.UUID
    organiser_id: uuid.UUID
    sealed_share = fields.BinaryField(null=True)
    handed_in = fields.BooleanField(default=False)

    class Meta:
        table = "campaign_held_share"
        unique_together = (("campaign", "organiser"),)


class ShareLink(Model):
    """A gatekeeper share dealt through a one-time link, for a gatekeeper without an account.

    The link's secret is in its URL only. The row is found by one keyed hash of the secret and
    the share is encrypted under another (`sharelinks`): without the link, the database and the
    keystore together do not open it. Once the gatekeeper confirms they wrote the share down,
    it is deleted and only the week it was taken stays, so a second opening says so.
    """

    lookup_hash = fields.CharField(max_length=64, primary_key=True)
    campaign: fields.ForeignKeyRelation[Campaign] = fields.ForeignKeyField(
        "campaigns.Campaign", related_name="share_links", on_delete=fields.CASCADE
    )
    # Which of the campaign's links (1, 2, ...), so the organisers can follow each one.
    number = fields.SmallIntField()
    encrypted_share = fields.BinaryField(null=True)
    first_shown_week = fields.DateField(null=True)
    taken_week = fields.DateField(null=True)

    class Meta:
        table = "campaign_share_link"
