"""A survey's invite codes: single use, kept only as keyed hashes, deleted when used.

The same codes as a campaign's (`crypto.codes`), hashed under their own kind, so a survey's code
never opens a campaign and the other way round. Onward codes are bounded as a campaign's are
(`organise.campaigns.policy.chain_bound`, below k: checked in `definition`).
"""

from __future__ import annotations

from crypto import codes
from organise import typed_codes
from organise.campaigns.invites import require_batch_size
from organise.i18n import _
from organise.refusal import Refused
from organise.surveys.models import InviteMode, Survey, SurveyInvite, SurveyState

HASH_KIND = "s-code"


def invite_hash(normalised_code: str, pepper: bytes) -> str:
    return codes.code_hash(normalised_code, pepper, kind=HASH_KIND).hex()


def code_hash_of(code: str, pepper: bytes) -> str:
    """The keyed hash of a code as typed, or Refused for one that is not a code at all."""
    return invite_hash(typed_codes.invite_code(code), pepper)


def fresh_codes(
    survey: Survey, count: int, pepper: bytes, *, generation: int = 0
) -> tuple[list[str], list[SurveyInvite]]:
    """`count` new codes to show, and unsaved rows holding only their hashes."""
    shown = [codes.new_invite_code() for _ in range(count)]
    rows = [
        SurveyInvite(
            code_hash=invite_hash(codes.normalise_invite_code(code), pepper),
            survey_id=survey.id,
            generation=generation,
        )
        for code in shown
    ]
    return shown, rows


async def generate(survey: Survey, count: int, *, pepper: bytes) -> list[str]:
    """New codes for `survey`; they exist only in the return value."""
    require_batch_size(count)
    if survey.invite_mode == InviteMode.OPEN:
        raise Refused(
            _("This survey is open to anyone: it needs no invite codes."),
            status=409,
            code="open_survey",
        )
    if survey.state != SurveyState.OPEN:
        raise Refused(
            _("This survey is closed: it needs no more invite codes."),
            status=409,
            code="survey_closed",
        )
    shown, rows = fresh_codes(survey, count, pepper)
    await SurveyInvite.bulk_create(rows)
    return shown


async def is_unused(survey: Survey, code: object, pepper: bytes) -> bool:
    """Whether `code` is an unused invite code of this survey (one keyed-hash look-up)."""
    normalised = typed_codes.invite_code_or_none(code)
    if survey.invite_mode == InviteMode.OPEN or normalised is None:
        return False
    digest = invite_hash(normalised, pepper)
    return await SurveyInvite.exists(code_hash=digest, survey_id=survey.id)
