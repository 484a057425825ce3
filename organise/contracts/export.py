"""CSV export of published contracts, safe to open in a spreadsheet.

A cell that starts with =, +, -, @, a tab or a carriage return could be run as a formula by
Excel, LibreOffice or Google Sheets (CSV injection): such cells get a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator

from organise.contracts import search
from organise.contracts.fields import FACT_NAMES
from organise.contracts.search import ContractQuery
from organise.web.spreadsheet import neutralise

BATCH = 500
# The record's facts in the table's order; the employers (there may be several) and the links
# (with the summary before them) are columns of their own.
COLUMNS = (
    "id",
    "url",
    "employers",
    *(name for name in FACT_NAMES if name not in {"employer", "sources"}),
    "summary",
    "sources",
    "atlas_id",
    "atlas_technology",
    "published_week",
)


def _row(item: dict) -> list[str]:
    flat = {
        **item,
        "employers": "; ".join(employer["name"] for employer in item["employers"]),
        "agency": item["agency"]["name"],
        "agency_type": item["agency"]["type"],
        "country": item["agency"]["country"],
        "jurisdiction": item["agency"]["jurisdiction"],
        "technologies": " ".join(item["technologies"]),
        "sources": " ".join(source["url"] for source in item["sources"]),
    }
    return [neutralise(flat[column]) for column in COLUMNS]


async def csv_chunks(query: ContractQuery, *, base_url: str) -> AsyncIterator[str]:
    """The header, then every matching contract, in batches (the export is not paginated)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    offset = 0
    while True:
        contracts = await search.with_details(
            search.matching(query).order_by("agency_name", "id").offset(offset).limit(BATCH)
        )
        for contract in contracts:
            writer.writerow(_row(search.as_json(contract, base_url=base_url)))
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        if len(contracts) < BATCH:
            return
        offset += BATCH
