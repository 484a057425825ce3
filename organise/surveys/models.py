"""Surveys, their sealed responses, invite-code hashes and, after the release, the text answers.

A `SurveyResponse` holds only: a random id, the survey, two sealed blobs of one fixed length per
survey (the choices, sealed to the survey's tally key; the text answers, sealed to its text
key), the keyed hash of its receipt and the week. No counter on the survey row moves when an
answer comes in, is changed or is withdrawn: two copies of the database around an answer differ
only by sealed bytes (and the row itself). Nothing is counted before the release, which stores
the suppressed tables (`results`) and deletes every response row.

docs/surveys.md lists every stored field with its precision and lifetime.
"""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from tortoise import fields
from tortoise.models import Model

from organise.campaigns.models import InviteMode

if TYPE_CHECKING:
    from organise.organisers.models import Organiser


class SurveyState(StrEnum):
    OPEN = "open"  # taking answers
    RELEASING = "releasing"  # one process is counting right now; answers are refused
    RELEASED = "released"  # closed: only the suppressed tables remain


class Survey(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    slug = fields.CharField(max_length=64, unique=True)
    title = fields.CharField(max_length=200)
    intro = fields.TextField()
    # Set by the organisers (not by anyone answering); the automatic close.
    closes_at = fields.DatetimeField(db_index=True)
    k = fields.SmallIntField()
    invite_mode = fields.CharEnumField(InviteMode, max_length=16)
    onward_invites = fields.SmallIntField(default=0)
    invite_depth = fields.SmallIntField(default=1)
    # The questions as defined (`definition.Question.as_json`), fixed once the first answer is in.
    questions: fields.JSONField[list[dict[str, Any]]] = fields.JSONField()
    # Moves by one each time what shapes the counting (`definition.COUNTING_FIELDS`) is
    # redefined: an answer is stored only if the version it was read and sealed against is
    # still the survey's, checked in the statement that spends its invite code.
    definition_version = fields.IntField(default=1)
    # Labels in other languages for the same ids (`definition.Definition.translations`): words
    # only, never counted; may change while the survey is open.
    translations: fields.JSONField[dict[str, Any]] = fields.JSONField(default=dict)
    # Public halves of the two arrival keys (the private halves are in the keystore until the
    # release destroys them).
    tally_public_key = fields.BinaryField()
    text_public_key = fields.BinaryField()
    # Days the team may read the text answers after the release; then their key is deleted.
    keep_texts_days = fields.SmallIntField(default=30)
    owner: fields.ForeignKeyNullableRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser",
        related_name="owned_surveys",
        null=True,
        on_delete=fields.SET_NULL,
    )
    state = fields.CharEnumField(SurveyState, max_length=16, db_index=True)
    # The week (its Monday) an administrator last gave the survey a new owner: announced on the
    # survey's pages, so that respondents know who will read the text answers.
    owner_assigned_week = fields.DateField(null=True)
    # The claim of a release in progress (exact: conditional updates match on it); cleared after.
    release_claimed_at = fields.DatetimeField(null=True)
    # The day of the release (the results say when they were counted).
    released_on = fields.DateField(null=True)
    # tables.Released.as_json: only the suppressed tables, nothing per person.
    results: fields.JSONField[dict[str, Any] | None] = fields.JSONField(null=True)
    # The team chose to show the released results on the survey's public page.
    results_public = fields.BooleanField(default=False)
    # The text answers kept for the team: the head of a stream of sealed chunks (crypto.streams,
    # chunks in SurveyTextChunk), wrapped under a keystore key. None: none kept (too few).
    texts_head = fields.BinaryField(null=True)
    # When the team's copy of the texts is destroyed (the release day + keep_texts_days).
    texts_until = fields.DateField(null=True)
    texts_destroyed = fields.BooleanField(default=False)
    # Keystore keys still to be deleted after a committed transition (finished by the tick).
    keys_pending = fields.BooleanField(default=False)
    created_at = fields.DatetimeField(auto_now_add=True)

    responses: fields.ReverseRelation[SurveyResponse]

    class Meta:
        table = "survey"


class SurveyResponse(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "surveys.Survey", related_name="responses", on_delete=fields.CASCADE
    )
    survey_id: uuid.UUID
    # crypto.ballots, one length per survey for each; emptied by the release, which keeps the
    # row (its receipt's hash) only so that the receipt can show the results.
    sealed_choices = fields.BinaryField(null=True)
    sealed_texts = fields.BinaryField(null=True)
    receipt_hash = fields.CharField(max_length=64, unique=True)
    week = fields.DateField()

    class Meta:
        table = "survey_response"


class SurveyMember(Model):
    """A co-organiser of a survey (the owner is on the survey row)."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "surveys.Survey", related_name="members", on_delete=fields.CASCADE
    )
    organiser: fields.ForeignKeyRelation[Organiser] = fields.ForeignKeyField(
        "organisers.Organiser", related_name="survey_memberships", on_delete=fields.CASCADE
    )

    class Meta:
        table = "survey_member"
        unique_together = (("survey", "organiser"),)


class SurveyInvite(Model):
    """An unused invite code of a survey (its keyed hash). Using it deletes the row."""

    code_hash = fields.CharField(max_length=64, primary_key=True)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "surveys.Survey", related_name="invites", on_delete=fields.CASCADE
    )
    # 0 for the organisers' codes; g + 1 for onward codes given to an answer made with a
    # generation-g code (only while g < invite_depth).
    generation = fields.SmallIntField(default=0)

    class Meta:
        table = "survey_invite"


class SurveyTextChunk(Model):
    """One sealed chunk of the text answers kept for the team after the release."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    survey: fields.ForeignKeyRelation[Survey] = fields.ForeignKeyField(
        "surveys.Survey", related_name="text_chunks", on_delete=fields.CASCADE
    )
    position = fields.IntField()
    data = fields.BinaryField()

    class Meta:
        table = "survey_text_chunk"
        unique_together = (("survey", "position"),)
