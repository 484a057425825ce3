"""Organiser accounts and their server-side sessions.

Organisers are the only people with accounts. Workers never appear in these tables.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import Any

from tortoise import fields
from tortoise.models import Model

from organise.roles import Role


class Organiser(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    username = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(Role, max_length=16)
    # All three None while the account waits for its holder to enrol (an EnrolmentCode): no
    # passphrase, no key, so nothing can be sealed to it and nobody can sign in as it.
    passphrase_hash = fields.BinaryField(null=True)
    # X25519 key pair: other features encrypt to `public_key`; the private half is only
    # readable with the organiser's passphrase (see crypto.keywrap).
    public_key = fields.BinaryField(null=True)
    wrapped_private_key = fields.BinaryField(null=True)
    # TOTP secret encrypted under a keystore key, so a database copy alone cannot mint codes.
    totp_secret = fields.BinaryField(null=True)
    # The last accepted TOTP time step: a code is accepted once only.
    totp_last_step = fields.BigIntField(null=True)
    # True once the account's key pair was made under a passphrase its holder chose (account
    # creation from the holder's own passphrase file, or enrolment). Accounts older than this
    # column had their keys made under a passphrase someone else typed: False until re-keyed.
    # Only enrolled accounts can be on a campaign team or receive what a reveal seals.
    enrolled = fields.BooleanField(default=True, db_default=False)
    # Set by an admin (`people.disable`): no sign-in, no session, no API token, and nothing a
    # reveal seals goes to it. Its key and team places are kept for when it is enabled again.
    disabled = fields.BooleanField(default=False, db_default=False)
    # The Monday of the week a session was last started for it (shown to admins); None before.
    last_sign_in_week = fields.DateField(null=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "organiser"

    @property
    def has_totp(self) -> bool:
        return self.totp_secret is not None


class EnrolmentCode(Model):
    """A one-time code with which an account's holder chooses its passphrase (and so its key).

    Only the keyed hash of the code is stored. A used code keeps its hash and the week it was
    used until it would have expired, so a second use is told apart from an unknown code and
    raises the alarm ("this code was already used in the week of ...").
    """

    code_hash = fields.CharField(max_length=64, primary_key=True)
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="enrolment_codes", on_delete=fields.CASCADE
    )
    expires_at = fields.DatetimeField()
    used_week = fields.DateField(null=True)
    # A reset code (an admin's answer to a forgotten passphrase, 24 hours) rather than a first
    # enrolment: redeeming it also takes the account off every campaign team (`resets`).
    reset = fields.BooleanField(default=False, db_default=False)

    class Meta:
        table = "organiser_enrolment_code"


class OrganiserSession(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    # Keyed hash of the cookie value: a copy of the database cannot be replayed as a cookie.
    token_hash = fields.CharField(max_length=64, unique=True)
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="sessions", on_delete=fields.CASCADE
    )
    created_at = fields.DatetimeField()
    last_seen_at = fields.DatetimeField()
    # The organiser's private key, unwrapped at sign-in and encrypted under a key derived from
    # the cookie token: readable only while the browser presents the cookie.
    sealed_private_key = fields.BinaryField()

    class Meta:
        table = "organiser_session"


class ApiToken(Model):
    """A bearer token for the JSON API, created and revoked by its organiser."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="api_tokens", on_delete=fields.CASCADE
    )
    name = fields.CharField(max_length=64)
    # Keyed hash only: the token itself is shown once, at creation.
    token_hash = fields.CharField(max_length=64, unique=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "api_token"


class RecoveryCode(Model):
    """A one-time code that stands in for the two-step code, made ten at a time.

    Only a keyed hash is stored (the instance secret key, as for API tokens); a used code's
    row is deleted. All of an account's codes go when two-step sign-in is turned off or the
    codes are made again.
    """

    code_hash = fields.CharField(max_length=64, primary_key=True)
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="recovery_codes", on_delete=fields.CASCADE
    )

    class Meta:
        table = "organiser_recovery_code"


class AuditAction(StrEnum):
    CREATED = "created"
    DISABLED = "disabled"
    ENABLED = "enabled"
    REMOVED = "removed"
    RESET_ISSUED = "reset_issued"
    RESET_COMPLETED = "reset_completed"
    ROLE_CHANGED = "role_changed"
    INBOX_GRANTED = "inbox_granted"
    # One row per campaign a reset took the account off (`campaign_id` says which).
    LEFT_TEAM_BY_RESET = "left_team_by_reset"
    # An administrator made the account the owner of a campaign or survey that needed one.
    OWNER_ASSIGNED = "owner_assigned"


class AuditEntry(Model):
    """Append-only: who changed which account, how, and the week. Never a time of day.

    Rows are inserted by `audit.record` and never updated or deleted (the model refuses both).
    Names are copied, not linked, so an entry outlives the accounts it names.
    """

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    week = fields.DateField()
    # The admin who acted, or "" for the server's operator at the command line.
    actor = fields.CharField(max_length=64)
    action = fields.CharEnumField(AuditAction, max_length=24)
    subject = fields.CharField(max_length=64)
    subject_id = fields.UUIDField(null=True)
    # What changed, in a few words (a role: "reviewer -> admin"; a campaign's or survey's slug).
    detail = fields.CharField(max_length=200, default="")
    campaign_id = fields.UUIDField(null=True)

    class Meta:
        table = "organiser_audit"

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise PermissionError("audit entries are never changed")
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise PermissionError("audit entries are never deleted")
