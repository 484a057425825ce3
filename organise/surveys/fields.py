"""Field rules of the survey forms and bodies.

The answers have one field per question, so their table is built from the survey's definition
(`answers_table`): the same rules for the web form and the JSON body, every problem named.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from organise.campaigns.fields import (
    INVITES as CAMPAIGN_INVITES,
)
from organise.campaigns.fields import (
    MAX_CODE_CHARS,
    MAX_SLUG_CHARS,
    MAX_USERNAME_CHARS,
    RECEIPT,
    several_lines,
)
from organise.fields import Field, FieldProblem, FieldTable
from organise.i18n import _l, languages
from organise.surveys.definition import (
    FORM_SLOTS,
    MAX_OPTION_CHARS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_THRESHOLD_N,
    Question,
)

__all__ = ["INVITES", "INVITE_CODE", "RECEIPT", "answers_table"]

INVITES = CAMPAIGN_INVITES
INVITE_CODE = FieldTable(
    "SurveyInviteCode",
    (Field("invite_code", _l("Invite code"), max_chars=MAX_CODE_CHARS),),
)
# A definition sent from the organisers' form: the JSON text.
DEFINITION_TEXT_CHARS = 256 * 1024
CLOSE = FieldTable("SurveyClose", (Field("confirm", _l("Confirmation"), kind="boolean"),))
# An administrator assigning a new owner to a survey waiting for one.
OWNER_ASSIGNMENT = FieldTable(
    "SurveyOwnerAssignmentForm",
    (
        Field("slug", _l("Survey"), required=True, max_chars=MAX_SLUG_CHARS),
        Field(
            "username", _l("New owner's account name"), required=True, max_chars=MAX_USERNAME_CHARS
        ),
    ),
)
PUBLISH = FieldTable("SurveyPublish", (Field("public", _l("Show publicly"), kind="boolean"),))


def _one_of(question: Question) -> Callable[[Any], Any]:
    def check(value: int) -> int:
        if str(value) not in question.options:
            raise FieldProblem(
                _l(
                    "%(label)s: %(value)s is not one of the numbers offered.",
                    label=question.text,
                    value=value,
                ),
                "unknown_option",
            )
        return value

    return check


def _field(question: Question) -> Field:
    label = question.text
    unknown = _l("%(label)s: this is not one of the options offered.", label=label)
    if question.type == "choice":
        return Field(
            question.id,
            label,
            required=question.required,
            max_chars=MAX_OPTION_CHARS,
            choices=lambda: question.options,
            message=unknown,
            code="unknown_option",
            schema_extra={"enum": list(question.options)},
        )
    if question.type == "multi":
        return Field(
            question.id,
            label,
            kind="list",
            required=question.required,
            max_chars=MAX_OPTION_CHARS,
            max_items=len(question.options),
            choices=lambda: question.options,
            message=unknown,
            code="unknown_option",
        )
    if question.type == "scale":
        return Field(
            question.id,
            label,
            kind="integer",
            required=question.required,
            minimum=question.minimum,
            maximum=question.maximum,
        )
    if question.type == "threshold":
        return Field(
            question.id,
            label,
            kind="integer",
            required=question.required,
            minimum=1,
            maximum=MAX_THRESHOLD_N,
            normalise=_one_of(question),
            schema_extra={"enum": [int(option) for option in question.options]},
        )
    return Field(
        question.id,
        label,
        required=question.required,
        normalise=several_lines(label, question.max_length),
        schema_extra={"maxLength": question.max_length},
    )


# The most fields an answer form sends: one per question, one per ticked option of a multi
# question, and the form's own (invite code, receipt).
MAX_FORM_FIELDS = 4 + MAX_QUESTIONS * MAX_OPTIONS
# The organisers' form: its settings and every field of every question slot, and in each other
# language a title, an introduction and each slot's text and option labels.
DEFINITION_FORM_FIELDS = 16 + FORM_SLOTS * 10 + (len(languages()) - 1) * (2 + FORM_SLOTS * 2)


def form_fields(questions: Sequence[Question]) -> int:
    """The most fields the answer form of these questions sends."""
    return 4 + sum(len(q.options) if q.type == "multi" else 1 for q in questions)


def answers_table(questions: Sequence[Question]) -> FieldTable:
    """The rules of one survey's answers: a field per question."""
    return FieldTable("SurveyAnswers", tuple(_field(question) for question in questions))
