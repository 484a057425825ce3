"""Import the Atlas of Surveillance CSV as public-record contract records.

One Atlas row (one agency's use of one technology, often with its vendor) becomes one contract
record keyed by the row's AOSNUMBER, so importing again updates records instead of adding
copies. The file is streamed in batches inside one transaction: an import either completes or
leaves the database as it was. Every row read is accounted for in the summary: created,
updated, or skipped with a reason. The mapping of Atlas values to our taxonomy is data, in
`atlas_mapping.json`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from pathlib import Path

from tortoise.transactions import in_transaction

from organise.contracts.employers import EmployerDirectory, VendorName, unknown_vendor, vendor_names
from organise.contracts.links import is_web_url
from organise.contracts.models import (
    Contract,
    ContractEmployer,
    ContractSource,
    ContractTechnology,
    Origin,
)
from organise.weeks import this_week

MAPPING_FILE = Path(__file__).with_name("atlas_mapping.json")
COUNTRY = "US"
PUBLIC_RECORD = "public-record"
BATCH_ROWS = 500
LINKS = (1, 2, 3)
REQUIRED_COLUMNS = (
    "AOSNUMBER",
    "City",
    "County",
    "State",
    "Agency",
    "Type of LEA",
    "Summary",
    "Technology",
    "Vendor",
    *(f"Link {n}{part}" for n in LINKS for part in ("", " Snapshot", " Source", " Date")),
)
_LIMITS = {"atlas_id": 32, "agency_name": 300, "jurisdiction": 300, "atlas_technology": 100}
_EXCEL_EPOCH = date(1899, 12, 30)
_MDY = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})")
_MY = re.compile(r"(\d{1,2})/(\d{4})")
_YEAR = re.compile(r"(19|20)\d\d")
_SERIAL = re.compile(r"[2-5]\d{4}")


class AtlasFormatError(ValueError):
    """The file is not an Atlas CSV we can read; nothing was imported."""


@dataclass(frozen=True)
class Mapping:
    technologies: dict[str, str]
    agency_types: dict[str, str]


@cache
def mapping() -> Mapping:
    data = json.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    return Mapping(
        technologies=dict(data["technologies"]),
        agency_types={key.casefold(): value for key, value in data["agency_types"].items()},
    )


@dataclass(frozen=True)
class Source:
    url: str
    title: str
    date: str
    snapshot_url: str


@dataclass(frozen=True)
class AtlasRecord:
    atlas_id: str
    agency_name: str
    agency_type: str
    jurisdiction: str
    summary: str
    atlas_technology: str
    technology: str
    vendors: tuple[VendorName, ...]
    sources: tuple[Source, ...]


@dataclass
class ImportSummary:
    rows_read: int = 0
    created: int = 0
    updated: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    employers_created: int = 0
    links_dropped: Counter[str] = field(default_factory=Counter)
    dates_not_understood: int = 0

    @property
    def skipped_total(self) -> int:
        return sum(self.skipped.values())


# -- reading one row ---------------------------------------------------------------------------


def parse_date(text: str) -> str:
    """An Atlas date as ISO ("YYYY-MM-DD", "YYYY-MM" or "YYYY"), or "" if not understood."""
    text = text.strip()
    try:
        if match := _MDY.fullmatch(text):
            month, day, year = (int(part) for part in match.groups())
            if year < 100:
                year += 2000 if year <= date.today().year % 100 else 1900
            return date(year, month, day).isoformat()
        if match := _MY.fullmatch(text):
            month, year = int(match.group(1)), int(match.group(2))
            return date(year, month, 1).isoformat()[:7]
        if _YEAR.fullmatch(text):
            return text
        if _SERIAL.fullmatch(text):  # a spreadsheet's day number, e.g. 43146 = 2018-02-15
            return (_EXCEL_EPOCH + timedelta(days=int(text))).isoformat()
    except ValueError:
        return ""
    return ""


def _sources(row: dict[str, str], summary: ImportSummary) -> tuple[Source, ...]:
    found: list[Source] = []
    seen: set[str] = set()
    for n in LINKS:
        raw = row[f"Link {n}"].strip()
        if not raw:
            continue
        snapshot = row[f"Link {n} Snapshot"].strip()
        date_text = row[f"Link {n} Date"].strip()
        parsed_date = parse_date(date_text)
        if date_text and not parsed_date:
            summary.dates_not_understood += 1
        # A cell sometimes holds the same address twice, separated by a newline.
        urls = [url for url in raw.split() if is_web_url(url)]
        if not urls:
            summary.links_dropped["not an http(s) address"] += 1
        for url in urls:
            if url in seen:
                continue
            seen.add(url)
            found.append(
                Source(
                    url=url,
                    title=row[f"Link {n} Source"].strip()[:300],
                    date=parsed_date,
                    snapshot_url=snapshot if is_web_url(snapshot) else "",
                )
            )
    return tuple(found)


def _jurisdiction(row: dict[str, str]) -> str:
    parts = (row["City"].strip(), row["County"].strip(), row["State"].strip())
    return ", ".join(part for part in parts if part)


def parse_row(row: dict[str, str], summary: ImportSummary) -> AtlasRecord | str:
    """The record for one row, or the reason to skip it."""
    if None in row or any(value is None for value in row.values()):
        return "malformed row (wrong number of fields)"
    atlas_id = row["AOSNUMBER"].strip()
    if not atlas_id:
        return "no Atlas identifier (AOSNUMBER)"
    agency_name = row["Agency"].strip()
    if not agency_name:
        return "no agency"
    atlas_technology = row["Technology"].strip()
    technology = mapping().technologies.get(atlas_technology)
    if technology is None:
        return f"technology not in atlas_mapping.json: {atlas_technology or '(empty)'}"
    agency_type = mapping().agency_types.get(row["Type of LEA"].strip().casefold(), "other")
    record = AtlasRecord(
        atlas_id=atlas_id,
        agency_name=agency_name,
        agency_type=agency_type,
        jurisdiction=_jurisdiction(row),
        summary=row["Summary"].strip(),
        atlas_technology=atlas_technology,
        technology=technology,
        vendors=tuple(vendor_names(row["Vendor"])) or (unknown_vendor(),),
        sources=_sources(row, summary),
    )
    for name, limit in _LIMITS.items():
        if len(getattr(record, name)) > limit:
            return f"{name.replace('_', ' ')} longer than {limit} characters"
    return record


# -- reading the file --------------------------------------------------------------------------


def _rows(handle: io.TextIOBase) -> Iterator[dict[str, str]]:
    reader = csv.DictReader(handle)
    try:
        columns = reader.fieldnames or []
        missing = [column for column in REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise AtlasFormatError(
                "This is not an Atlas of Surveillance CSV: missing column(s) " + ", ".join(missing)
            )
        yield from reader
    except UnicodeDecodeError:
        raise AtlasFormatError(
            f"The file is not valid UTF-8 text (near line {reader.line_num + 1}); nothing was "
            "imported."
        ) from None
    except csv.Error as error:
        raise AtlasFormatError(
            f"The CSV is malformed near line {reader.line_num}: {error}; nothing was imported."
        ) from None


# -- writing -----------------------------------------------------------------------------------


def _apply(contract: Contract, record: AtlasRecord) -> None:
    contract.summary = record.summary
    contract.status = PUBLIC_RECORD
    contract.agency_name = record.agency_name
    contract.agency_type = record.agency_type
    contract.country = COUNTRY
    contract.jurisdiction = record.jurisdiction
    contract.origin = Origin.ATLAS
    contract.atlas_technology = record.atlas_technology


_UPDATED_FIELDS = (
    "summary",
    "status",
    "agency_name",
    "agency_type",
    "country",
    "jurisdiction",
    "origin",
    "atlas_technology",
)


async def _write_batch(
    records: list[AtlasRecord], employers: EmployerDirectory, summary: ImportSummary
) -> None:
    existing = {
        contract.atlas_id: contract
        for contract in await Contract.filter(atlas_id__in=[r.atlas_id for r in records])
    }
    week = this_week()
    new: list[Contract] = []
    changed: list[Contract] = []
    pairs: list[tuple[Contract, AtlasRecord]] = []
    for record in records:
        contract = existing.get(record.atlas_id)
        if contract is None:
            contract = Contract(atlas_id=record.atlas_id, published_week=week, report_count=0)
            new.append(contract)
        else:
            changed.append(contract)
        _apply(contract, record)
        pairs.append((contract, record))
    if changed:
        ids = [contract.id for contract in changed]
        await ContractEmployer.filter(contract_id__in=ids).delete()
        await ContractTechnology.filter(contract_id__in=ids).delete()
        await ContractSource.filter(contract_id__in=ids).delete()
        await Contract.bulk_update(changed, fields=_UPDATED_FIELDS, batch_size=BATCH_ROWS)
    if new:
        await Contract.bulk_create(new, batch_size=BATCH_ROWS)
    links: list[ContractEmployer] = []
    technologies: list[ContractTechnology] = []
    sources: list[ContractSource] = []
    for contract, record in pairs:
        for vendor in record.vendors:
            links.append(
                ContractEmployer(contract_id=contract.id, employer_id=employers.get(vendor).id)
            )
        technologies.append(
            ContractTechnology(contract_id=contract.id, technology=record.technology)
        )
        sources.extend(
            ContractSource(
                contract_id=contract.id,
                position=position,
                url=source.url,
                title=source.title,
                date=source.date,
                snapshot_url=source.snapshot_url,
            )
            for position, source in enumerate(record.sources, start=1)
        )
    summary.employers_created += await employers.save_created()
    await ContractEmployer.bulk_create(links, batch_size=BATCH_ROWS)
    await ContractTechnology.bulk_create(technologies, batch_size=BATCH_ROWS)
    await ContractSource.bulk_create(sources, batch_size=BATCH_ROWS)
    summary.created += len(new)
    summary.updated += len(changed)


async def import_atlas(
    path: Path, *, progress: Callable[[int], None] | None = None
) -> ImportSummary:
    """Import (or re-import) an Atlas CSV; `progress` is told how many bytes were read."""
    summary = ImportSummary()
    seen: set[str] = set()
    with path.open("rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="strict", newline="")
        async with in_transaction():
            employers = await EmployerDirectory.load()
            batch: list[AtlasRecord] = []
            position = 0
            for row in _rows(text):
                summary.rows_read += 1
                parsed = parse_row(row, summary)
                if isinstance(parsed, str):
                    summary.skipped[parsed] += 1
                elif parsed.atlas_id in seen:
                    summary.skipped["repeats an Atlas identifier already read from this file"] += 1
                else:
                    seen.add(parsed.atlas_id)
                    batch.append(parsed)
                if len(batch) >= BATCH_ROWS:
                    await _write_batch(batch, employers, summary)
                    batch = []
                if progress is not None:
                    now = raw.tell()
                    progress(now - position)
                    position = now
            if batch:
                await _write_batch(batch, employers, summary)
    return summary
