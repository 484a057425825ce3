"""Accepting a report: details sealed before anything is written, a receipt handed back once."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from tortoise.transactions import in_transaction

from crypto import codes, reportbox
from crypto.keystore import Keystore
from organise.contracts.employers import find_employer
from organise.contracts.fields import FACT_NAMES, column
from organise.reports import tally
from organise.reports.inbox import ensure_inbox
from organise.reports.models import Report, ReportTechnology
from organise.submissions.once import Outcomes, Record, content
from organise.weeks import this_week

RECEIPT_KIND = "report"


def receipt_hash(normalised_receipt: str, pepper: bytes) -> str:
    return codes.code_hash(normalised_receipt, pepper, kind=RECEIPT_KIND).hex()


# Facts kept beside the report as they are (the employer is matched first; technologies have
# their own rows).
_KEPT_AS_IS = tuple(name for name in FACT_NAMES if name not in {"employer", "technologies"})


def _receipt_outcome(receipt: str) -> dict[str, str]:
    return {"receipt": receipt}


def _receipt_again(outcome: dict[str, Any]) -> str:
    return str(outcome["receipt"])


# A report sent again with its submission token shows the first receipt.
RECEIPT = Outcomes(keep=_receipt_outcome, shown_again=_receipt_again)


def report_content(report: Mapping[str, Any]) -> bytes:
    """What counts as "the same report" for a submission token: every field, as checked."""
    return content("report", report)


async def submit(
    report: Mapping[str, Any],
    *,
    keystore: Keystore,
    pepper: bytes,
    remember: Record[str] | None = None,
) -> str:
    """Store a checked report (fields.read_report) and return its receipt.

    `remember` (a submission token's record) runs last in the report's transaction.
    """
    inbox = await ensure_inbox(keystore)
    report_id = uuid.uuid4()
    receipt = codes.new_receipt()
    normalised = codes.normalise_receipt(receipt)
    reporter_key = reportbox.reporter_private_key(normalised, pepper)
    # Encrypted in memory, before any write: the plaintext details never reach the database.
    details_sealed = reportbox.seal_text(
        report["details"],
        [inbox.public_key],
        context=reportbox.details_context(report_id),
    )
    employer = await find_employer(report["employer"])
    week = this_week()
    employer_name = employer.name if employer else report["employer"]
    technologies: list[str] = report["technologies"]
    async with in_transaction() as connection:
        await Report.create(
            id=report_id,
            receipt_hash=receipt_hash(normalised, pepper),
            week=week,
            employer_name=employer_name,
            employer_id=employer.id if employer else None,
            **{column(name): report[name] for name in _KEPT_AS_IS},
            relation=report["relation"],
            reporter_public_key=bytes(reporter_key.public_key),
            details_sealed=details_sealed,
            technologies=tally.technology_list(technologies),
        )
        await ReportTechnology.bulk_create(
            [ReportTechnology(report_id=report_id, technology=slug) for slug in technologies]
        )
        await tally.add(
            connection,
            tally.CountedReport(
                employer=employer_name,
                agency_type=report["agency_type"],
                country=report["country"],
                status=report["status"],
                month=tally.month_of(week),
                technologies=tuple(sorted(set(technologies))),
            ),
        )
        if remember is not None:
            await remember(connection, receipt)
    return receipt
