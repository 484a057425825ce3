"""The reports feature's field tables: a report, a follow-up message, a reviewer's draft record.

A report is the facts of a contract (organise.contracts.fields) plus how the reporter knows and
their details. The web form names the employer in one field, offering the known employers as
suggestions; the name is matched to a known employer on submission (`submission`).
"""

from __future__ import annotations

import uuid
from typing import Any

from organise.contracts.fields import (
    CONTRACT_FACTS,
    PUBLISHED_FACTS,
    SUMMARY,
    check_facts,
    vocabulary,
)
from organise.fields import Field, FieldProblem, FieldTable, FormData
from organise.i18n import _l
from organise.reports.review import SETTABLE_STATES

MAX_DETAILS_CHARS = 8000
MAX_MESSAGE_CHARS = 4000
# Receipts are eight words; anything longer is not one (the answer is the same either way).
MAX_RECEIPT_CHARS = 200

REPORT = FieldTable(
    "ReportInput",
    (
        *CONTRACT_FACTS,
        vocabulary(
            "relation",
            "relations",
            _l("How do you know?"),
            message=_l("Choose one of the answers to how you know, or none."),
        ),
        Field(
            "details",
            _l("Details"),
            max_chars=MAX_DETAILS_CHARS,
            description="Encrypted for the reviewers before anything is written.",
        ),
    ),
    checks=(check_facts,),
)
# What a report needs; everything else may be left empty. (Technologies are required by
# `check_facts`, as "choose at least one".)
REPORT_REQUIRED = frozenset({*(f.name for f in REPORT.fields if f.required), "technologies"})

# A message between a reporter and the reviewers, from either side. The reporter's receipt is
# a credential, not a field: every wrong receipt gets the same answer (see followup.py).
MESSAGE = FieldTable(
    "ReportMessage",
    (Field("message", _l("Message"), required=True, max_chars=MAX_MESSAGE_CHARS),),
)

# A reviewer's proposed public record: the same facts, and a summary they write themselves.
DRAFT = FieldTable("ContractDraft", (*PUBLISHED_FACTS, SUMMARY), checks=(check_facts,))

# A reviewer's decision on a report through the API: a review state set by hand ("published"
# comes only from publication, with its approvals).
SETTABLE_STATE_VALUES = tuple(state.value for state in SETTABLE_STATES)

DECISION = FieldTable(
    "ReviewDecision",
    (
        Field(
            "state",
            _l("Review state"),
            required=True,
            choices=lambda: SETTABLE_STATE_VALUES,
            message=_l("Unknown review state."),
            code="invalid_state",
            schema_extra={"enum": list(SETTABLE_STATE_VALUES)},
        ),
    ),
)

UUID_CHARS = 36


def _report_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FieldProblem(_l("Give a report's id."), "invalid_field", 400) from None


def _proposal_id(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise FieldProblem(_l("Give a proposal's id."), "invalid_field", 400) from None


_UUID = {"format": "uuid"}

MERGE = FieldTable(
    "ReportMerge",
    (
        Field(
            "into",
            _l("The report to merge into"),
            required=True,
            max_chars=UUID_CHARS,
            normalise=_report_id,
            schema_extra=_UUID,
        ),
    ),
)

# Approving or withdrawing one of a report's publication proposals.
PROPOSAL_CHOICE = FieldTable(
    "ProposalChoice",
    (
        Field(
            "proposal",
            _l("Proposal"),
            required=True,
            max_chars=UUID_CHARS,
            normalise=_proposal_id,
            schema_extra=_UUID,
        ),
    ),
)

# Limits the forms show (maxlength), by field name.
MAX_CHARS = {
    f.name: f.max_chars
    for table in (REPORT, MESSAGE, DRAFT)
    for f in table.fields
    if f.max_chars is not None
}


def read_report(data: FormData | dict[str, Any]) -> dict[str, Any]:
    """A report from a web form or a JSON object, every field checked."""
    return REPORT.read_json(data) if isinstance(data, dict) else REPORT.read_form(data)


def read_message(data: FormData | dict[str, Any]) -> str:
    """The text of a message; the receipt beside it in the same body is read by followup."""
    if isinstance(data, dict):
        return str(MESSAGE.read_json({"message": data.get("message")})["message"])
    return str(MESSAGE.read_form(data)["message"])


def message_schema(receipt: dict[str, Any]) -> dict[str, Any]:
    """The JSON body of /api/v1/reports/messages: the receipt, and the message table.

    Other keys are ignored there (as they always were), so the schema does not forbid them.
    """
    schema = MESSAGE.schema()
    return {
        "type": "object",
        "required": ["receipt", *schema.get("required", [])],
        "properties": {"receipt": receipt, **schema["properties"]},
    }
