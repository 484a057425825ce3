"""The reports feature's field tables: a report, a follow-up message, a reviewer's draft record.

A report is the facts of a contract (organise.contracts.fields) plus how the reporter knows and
their details. The web form picks the employer from a list or names a new one; the page turns
that into `employer` before reading the table (see pages.py).
"""

from __future__ import annotations

from typing import Any

from organise.contracts.fields import CONTRACT_FACTS, SUMMARY, check_facts, vocabulary
from organise.fields import Field, FieldTable, FormData
from organise.i18n import _l

MAX_DETAILS_CHARS = 8000
MAX_MESSAGE_CHARS = 4000
# Receipts are eight words; anything longer is not one (the answer is the same either way).
MAX_RECEIPT_CHARS = 200

REPORT = FieldTable(
    "ReportInput",
    (
        *CONTRACT_FACTS,
        vocabulary("relation", "relations", _l("How you know")),
        Field(
            "details",
            _l("Details"),
            max_chars=MAX_DETAILS_CHARS,
            description="Encrypted for the reviewers before anything is written.",
        ),
    ),
)

# A message between a reporter and the reviewers, from either side. The reporter's receipt is
# a credential, not a field: every wrong receipt gets the same answer (see followup.py).
MESSAGE = FieldTable(
    "ReportMessage",
    (Field("message", _l("Message"), required=True, max_chars=MAX_MESSAGE_CHARS),),
)

# A reviewer's proposed public record: the same facts, and a summary they write themselves.
DRAFT = FieldTable("ContractDraft", (*CONTRACT_FACTS, SUMMARY))

# Limits the forms show (maxlength), by field name.
MAX_CHARS = {
    f.name: f.max_chars
    for table in (REPORT, MESSAGE, DRAFT)
    for f in table.fields
    if f.max_chars is not None
}


def read_report(data: FormData | dict[str, Any]) -> dict[str, Any]:
    """A report from a web form or a JSON object, every field checked."""
    values = REPORT.read_json(data) if isinstance(data, dict) else REPORT.read_form(data)
    check_facts(values)
    return values


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
