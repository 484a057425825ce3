"""Helpers shared by the tests that need published contract records."""

from __future__ import annotations

from organise.contracts.models import (
    Contract,
    ContractEmployer,
    ContractSource,
    ContractTechnology,
    Employer,
)
from organise.weeks import this_week


async def make_contract(
    employer: Employer,
    *,
    agency: str = "Springfield Police Department",
    technology: str = "face-recognition",
    country: str = "US",
    summary: str = "A summary.",
    reports: int = 0,
) -> Contract:
    """A published record of `employer`, with one technology and one source."""
    contract = await Contract.create(
        summary=summary,
        status="public-record",
        agency_name=agency,
        agency_type="police",
        country=country,
        jurisdiction="Springfield",
        origin="reports" if reports else "atlas",
        report_count=reports,
        published_week=this_week(),
    )
    await ContractEmployer.create(contract=contract, employer=employer)
    await ContractTechnology.create(contract=contract, technology=technology)
    await ContractSource.create(
        contract=contract,
        position=1,
        url="https://example.org/source",
        title="Council",
        date="2020-01",
    )
    return contract
