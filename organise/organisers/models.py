"""Organiser accounts and their server-side sessions.

Organisers are the only people with accounts. Workers never appear in these tables.
"""

from __future__ import annotations

import uuid
from enum import StrEnum

from tortoise import fields
from tortoise.models import Model


class Role(StrEnum):
    ADMIN = "admin"
    ORGANISER = "organiser"
    REVIEWER = "reviewer"
    # Holds campaign gatekeeper shares and hands them in; sees nothing else. Enrolment only.
    GATEKEEPER = "gatekeeper"


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
