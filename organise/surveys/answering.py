"""Answering a survey, and what a receipt lets the respondent do: replace, withdraw, see status.

Order of work for an answer (as a pledge's signature, organise/campaigns/signing.py):

1. Check the answers (the survey's answers table) and take the invite code's keyed hash; the
   code is looked up only where it is spent (3), so an unknown one rolls everything back.
2. Seal the response in memory (`sealing.seal_response`): nothing typed or ticked is written
   anywhere in the clear.
3. One transaction: one statement deletes the code's row only while the survey is open and
   defined as it was read (`_hold_open`; on PostgreSQL it share-locks the survey row, so a
   release waits for answers under way and answers after its claim are refused); refused unless
   exactly one row went; its generation decides onward codes. Then the response and onward codes.

Nothing on the survey row changes: there is no counter to move. The row is found again only by
the receipt's keyed hash; nobody, the respondent included, can read an answer back.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.transactions import in_transaction

from crypto import codes
from crypto.errors import PlaintextTooLarge
from organise import typed_codes
from organise.i18n import _
from organise.refusal import Refused
from organise.submissions.once import Outcomes, Record, content
from organise.surveys import invites
from organise.surveys.definition import Question, questions_of
from organise.surveys.fields import answers_table
from organise.surveys.models import InviteMode, Survey, SurveyInvite, SurveyResponse, SurveyState
from organise.surveys.sealing import seal_response
from organise.weeks import week_of

RECEIPT_KIND = "s-rcpt"


def questions(survey: Survey) -> tuple[Question, ...]:
    return questions_of(survey.questions)


def read_answers(survey: Survey, answers: object, *, from_form: bool) -> dict[str, Any]:
    """The answers checked by the survey's table; Refused naming every wrong one."""
    table = answers_table(questions(survey))
    if from_form:
        return table.read_form(answers)  # type: ignore[arg-type]
    if not isinstance(answers, dict):
        raise Refused(
            {"answers": _("answers must be an object: question id to answer.")},
            code="invalid_field",
        )
    return table.read_json(answers)


def receipt_digest(receipt: str, pepper: bytes) -> str:
    """The keyed hash of a receipt as typed; Refused if it is not a receipt at all."""
    return codes.code_hash(typed_codes.receipt(receipt), pepper, kind=RECEIPT_KIND).hex()


def closed_error() -> Refused:
    return Refused(
        _("This survey is closed: it no longer takes answers."), status=409, code="survey_closed"
    )


def is_open(survey: Survey, now: datetime) -> bool:
    return survey.state == SurveyState.OPEN and survey.closes_at > now


def code_refused() -> Refused:
    return Refused(
        _("This invite code is not valid or has already been used."),
        status=403,
        code="invite_code_refused",
    )


@dataclass(frozen=True)
class Answered:
    receipt: str = field(repr=False)
    invite_codes: list[str] = field(repr=False)
    slug: str


def _answered_outcome(answered: Answered) -> dict[str, Any]:
    return {
        "receipt": answered.receipt,
        "invite_codes": list(answered.invite_codes),
        "slug": answered.slug,
    }


def _answered_again(outcome: dict[str, Any]) -> Answered:
    return Answered(outcome["receipt"], list(outcome["invite_codes"]), outcome["slug"])


# An answer sent again with its submission token shows the first receipt.
ANSWERED = Outcomes(keep=_answered_outcome, shown_again=_answered_again)


def answer_content(survey: Survey, answers: Mapping[str, Any], invite_code: str) -> bytes:
    """What counts as "the same answer" for a submission token."""
    code = typed_codes.as_sent(invite_code, codes.normalise_invite_code)
    return content(
        "survey-answer", {"survey": str(survey.id), "answers": dict(answers), "code": code}
    )


# One statement takes the open-state check and the code (PostgreSQL: `FOR SHARE`, so answers
# run side by side while a release's claim, an `UPDATE` of the row, waits for them and answers
# after it find the survey no longer open). `?n` and `$n` are the two engines' numbered
# placeholders.
_OPEN = (
    'SELECT 1 FROM "survey" WHERE "id"={0} AND "state"={1} AND "closes_at">{2} '
    'AND "definition_version"={3}'
)
_SPEND = (
    'DELETE FROM "survey_invite" WHERE "survey_id"={0} AND "code_hash"={4} '  # noqa: S608 (constants)
    "AND EXISTS (" + _OPEN + '{5}) RETURNING "generation"'
)
_STATEMENTS = {
    dialect: {
        "open": _OPEN.format(*marks) + lock,
        "spend": _SPEND.format(*marks, lock),
    }
    for dialect, marks, lock in (
        ("sqlite", ("?1", "?2", "?3", "?4", "?5"), ""),
        ("postgres", ("$1", "$2", "$3", "$4", "$5"), " FOR SHARE"),
    )
}


async def _hold_open(
    survey: Survey, now: datetime, code_hash: str | None, connection: BaseDBAsyncClient
) -> int | None:
    """Hold the survey open for this transaction and spend the invite code, if any, in one
    statement; the code's generation (None without a code), else Refused."""
    statements = _STATEMENTS[
        "postgres" if connection.capabilities.dialect == "postgres" else "sqlite"
    ]
    params: list[Any] = [str(survey.id), SurveyState.OPEN.value, now, survey.definition_version]
    if code_hash is None:
        if await connection.execute_query_dict(statements["open"], params):
            return None
    else:
        rows = await connection.execute_query_dict(statements["spend"], [*params, code_hash])
        if len(rows) == 1:
            return int(rows[0]["generation"])
    raise await _why_not_stored(survey, now, connection)


async def _why_not_stored(survey: Survey, now: datetime, connection: BaseDBAsyncClient) -> Refused:
    """The refusal when `_hold_open` matched nothing: closed (whatever the code), redefined
    since the answer was read against it, or else the code."""
    found = (
        await Survey.filter(id=survey.id)
        .using_db(connection)
        .only("id", "state", "closes_at", "definition_version")
        .first()
    )
    if found is None or not is_open(found, now):
        return closed_error()
    if found.definition_version != survey.definition_version:
        return Refused(
            _("This survey changed meanwhile; look at it again."),
            status=409,
            code="survey_changed",
        )
    return code_refused()


def _seal(survey: Survey, answers: Mapping[str, Any]) -> tuple[bytes, bytes]:
    try:
        return seal_response(survey, questions(survey), answers)
    except PlaintextTooLarge:  # the buckets fit every answer the table accepts
        raise Refused(_("These answers are too long once encoded."), code="too_large") from None


async def answer(
    survey: Survey,
    answers: Mapping[str, Any],
    *,
    invite_code: str,
    pepper: bytes,
    now: datetime | None = None,
    remember: Record[Answered] | None = None,
) -> Answered:
    """Store one sealed response, or raise Refused having stored nothing."""
    now = now or datetime.now(UTC)
    if not is_open(survey, now):
        raise closed_error()
    code_hash = None
    if survey.invite_mode == InviteMode.INVITE:
        if not invite_code:
            raise Refused(
                {"invite_code": _("This survey is by invitation: please enter your invite code.")},
                code="missing_invite_code",
            )
        # Checked once, where it is spent (`_hold_open`, in the transaction): a code that does
        # not exist rolls everything back, so no look-up beforehand.
        code_hash = invites.code_hash_of(invite_code, pepper)
    choices, texts = _seal(survey, answers)
    receipt = codes.new_receipt()
    row = SurveyResponse(
        id=uuid.uuid4(),
        survey_id=survey.id,
        sealed_choices=choices,
        sealed_texts=texts,
        receipt_hash=receipt_digest(receipt, pepper),
        week=week_of(now),
    )
    onward_shown: list[str] = []
    onward_rows: list[SurveyInvite] = []
    if code_hash is not None and survey.onward_invites and survey.invite_depth > 0:
        onward_shown, onward_rows = invites.fresh_codes(survey, survey.onward_invites, pepper)
    async with in_transaction() as connection:
        generation = await _hold_open(survey, now, code_hash, connection)
        given = False
        if generation is not None and onward_rows and generation < survey.invite_depth:
            for onward in onward_rows:
                onward.generation = generation + 1
            await SurveyInvite.bulk_create(onward_rows, using_db=connection)
            given = True
        await row.save(using_db=connection, force_create=True)
        answered = Answered(receipt, onward_shown if given else [], survey.slug)
        if remember is not None:
            await remember(connection, answered)
    return answered


async def find(receipt: str, *, pepper: bytes) -> SurveyResponse:
    found = await SurveyResponse.get_or_none(
        receipt_hash=receipt_digest(receipt, pepper)
    ).prefetch_related("survey")
    if found is None:
        raise Refused(
            _(
                "No answer matches this receipt. It may have been withdrawn, or its survey "
                "closed with too few answers to show, or long ago."
            ),
            status=404,
            code="unknown_receipt",
        )
    return found


async def is_known(receipt: object, *, pepper: bytes) -> bool:
    """Whether `receipt` is the receipt of an answer still held (one keyed-hash look-up)."""
    normalised = typed_codes.receipt_or_none(receipt)
    if normalised is None:
        return False
    return await SurveyResponse.exists(receipt_hash=receipt_digest(normalised, pepper))


def receipt_content(form: str, receipt: str, answers: Mapping[str, Any] | None = None) -> bytes:
    normalised = typed_codes.as_sent(receipt, codes.normalise_receipt)
    return content(form, {"receipt": normalised, "answers": dict(answers or {})})


@dataclass(frozen=True)
class Done:
    """What a change or a withdrawal answers: the survey's address and title."""

    slug: str
    title: str


DONE = Outcomes(
    keep=lambda done: {"slug": done.slug, "title": done.title},
    shown_again=lambda outcome: Done(outcome["slug"], outcome["title"]),
)


async def _held_while_open(
    receipt: str, pepper: bytes, now: datetime
) -> tuple[SurveyResponse, Survey]:
    """The answer held under `receipt` and its survey, which must still take answers."""
    response = await find(receipt, pepper=pepper)
    survey: Survey = response.survey
    if not is_open(survey, now):
        raise closed_error()
    return response, survey


async def change(
    receipt: str,
    answers: object,
    *,
    pepper: bytes,
    from_form: bool = False,
    now: datetime | None = None,
    remember: Record[Done] | None = None,
) -> Done:
    """Replace the whole answer held under `receipt` (sealed afresh), while the survey is open."""
    now = now or datetime.now(UTC)
    response, survey = await _held_while_open(receipt, pepper, now)
    checked = read_answers(survey, answers, from_form=from_form)
    choices, texts = _seal(survey, checked)
    async with in_transaction() as connection:
        await _hold_open(survey, now, None, connection)
        changed = (
            await SurveyResponse.filter(id=response.id)
            .using_db(connection)
            .update(sealed_choices=choices, sealed_texts=texts)
        )
        if changed != 1:
            raise gone()
        done = Done(survey.slug, survey.title)
        if remember is not None:
            await remember(connection, done)
    return done


def gone() -> Refused:
    return Refused(
        _("This answer has already been withdrawn."), status=409, code="already_withdrawn"
    )


async def withdraw(
    receipt: str,
    *,
    pepper: bytes,
    now: datetime | None = None,
    remember: Record[Done] | None = None,
) -> Done:
    """Delete the answer held under `receipt`, while the survey is open."""
    now = now or datetime.now(UTC)
    response, survey = await _held_while_open(receipt, pepper, now)
    async with in_transaction() as connection:
        await _hold_open(survey, now, None, connection)
        if await SurveyResponse.filter(id=response.id).using_db(connection).delete() != 1:
            raise gone()
        done = Done(survey.slug, survey.title)
        if remember is not None:
            await remember(connection, done)
    return done


@dataclass(frozen=True)
class Status:
    """All a receipt tells: the survey, that the answer is counted, and released results."""

    survey: Survey
    results: dict[str, Any] | None


async def status(receipt: str, *, pepper: bytes) -> Status:
    response = await find(receipt, pepper=pepper)
    survey: Survey = response.survey
    results = survey.results if survey.state == SurveyState.RELEASED else None
    return Status(survey, results)
