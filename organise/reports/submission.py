"""Accepting a report: details sealed before anything is written, a receipt handed back once."""

from __future__ import annotations

import uuid

from tortoise.transactions import in_transaction

from crypto import codes, reportbox
from crypto.keystore import Keystore
from organise.contracts.employers import find_employer
from organise.reports import tally
from organise.reports.inbox import ensure_inbox
from organise.reports.models import Report, ReportTechnology
from organise.reports.validation import ReportInput
from organise.weeks import this_week

RECEIPT_KIND = "report"


def receipt_hash(normalised_receipt: str, pepper: bytes) -> str:
    return codes.code_hash(normalised_receipt, pepper, kind=RECEIPT_KIND).hex()


async def submit(report: ReportInput, *, keystore: Keystore, pepper: bytes) -> str:
    """Store the report and return its receipt (the only copy: it is shown once)."""
    inbox = await ensure_inbox(keystore)
    report_id = uuid.uuid4()
    receipt = codes.new_receipt()
    normalised = codes.normalise_receipt(receipt)
    reporter_key = reportbox.reporter_private_key(normalised, pepper)
    # Encrypted in memory, before any write: the plaintext details never reach the database.
    details_sealed = reportbox.seal_text(
        report.details,
        [inbox.public_key],
        context=reportbox.details_context(report_id),
    )
    facts = report.facts
    employer = await find_employer(facts.employer_name)
    week = this_week()
    employer_name = employer.name if employer else facts.employer_name
    async with in_transaction() as connection:
        await Report.create(
            id=report_id,
            receipt_hash=receipt_hash(normalised, pepper),
            week=week,
            employer_name=employer_name,
            employer_id=employer.id if employer else None,
            agency_name=facts.agency_name,
            agency_type=facts.agency_type,
            country=facts.country,
            jurisdiction=facts.jurisdiction,
            product=facts.product,
            status=facts.status,
            value_range=facts.value_range,
            currency=facts.currency,
            period_start=facts.period_start,
            period_end=facts.period_end,
            sources=facts.sources,
            relation=report.relation,
            reporter_public_key=bytes(reporter_key.public_key),
            details_sealed=details_sealed,
        )
        await ReportTechnology.bulk_create(
            [ReportTechnology(report_id=report_id, technology=slug) for slug in facts.technologies]
        )
        await tally.add(
            connection,
            tally.CountedReport(
                employer=employer_name,
                agency_type=facts.agency_type,
                country=facts.country,
                status=facts.status,
                month=tally.month_of(week),
                technologies=tuple(sorted(set(facts.technologies))),
            ),
        )
    return receipt
