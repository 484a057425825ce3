"""Importing the Atlas of Surveillance: every row accounted for, re-import updates, counts match.

The real snapshot lives beside the repository, in ../shared/data (CI has it there). The
expected counts are computed here from the file with the csv module, independently of the
importer; the vendor spellings this test treats as one company are written out below.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest

from organise.contracts.atlas import AtlasFormatError, import_atlas
from organise.contracts.models import Contract, ContractEmployer, ContractSource, Employer

REPO = Path(__file__).resolve().parents[2]
ATLAS = REPO.parent / "shared" / "data" / "atlas-of-surveillance-2020-10-07.csv"

# Spellings of one company in the snapshot (casefolded) -> the name it is published under.
# A list splits a value naming two companies; None drops a word that names no company.
SAME_COMPANY: dict[str, str | list[str] | None] = {
    "axon enterprise": "axon",
    "harris corp.": "harris corporation",
    "predpol": "predpol",
    "flock": "flock safety",
    "draganfly": "draganfly innovations",
    "aeryon": "aeryon labs",
    "dataworks": "dataworks plus",
    "copvu/vievu": "vievu",
    "physcial sciences": "physical sciences",
    "provision": "pro-vision",
    "neology/pips": "neology (pips)",
    "pips": "neology (pips)",
    "intergraph security and axon": ["intergraph", "axon"],
    "others": None,
}


def atlas_file() -> Path:
    if not ATLAS.exists():
        pytest.fail(
            f"The Atlas of Surveillance snapshot is missing: expected {ATLAS} "
            "(the repository's sibling shared/data folder; see shared/data/README.md)."
        )
    return ATLAS


def atlas_rows() -> list[dict[str, str]]:
    """The file's rows, the first row of each AOSNUMBER (the snapshot repeats one row)."""
    with atlas_file().open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    first: dict[str, dict[str, str]] = {}
    for row in rows:
        first.setdefault(row["AOSNUMBER"], row)
    return list(first.values())


def expected_vendors(raw: str) -> set[str]:
    names: set[str] = set()
    for part in raw.split(","):
        name = part.strip().casefold()
        if not name:
            continue
        same = SAME_COMPANY.get(name, name)
        if same is None:
            continue
        names.update(same if isinstance(same, list) else [same])
    return names or {"unknown vendor"}


@pytest.fixture
async def imported(client):
    first = await import_atlas(atlas_file())
    second = await import_atlas(atlas_file())
    return first, second


async def test_importing_twice_leaves_one_record_per_atlas_row(imported):
    first, second = imported
    with atlas_file().open(encoding="utf-8-sig", newline="") as handle:
        total_rows = sum(1 for _ in csv.DictReader(handle))
    distinct = len(atlas_rows())
    assert first.rows_read == second.rows_read == total_rows == 5784
    assert first.created == distinct
    assert first.updated == 0
    assert second.created == 0
    assert second.updated == distinct
    # Nothing silently dropped: every row read was created, updated or skipped with a reason.
    for summary in imported:
        assert summary.created + summary.updated + summary.skipped_total == summary.rows_read
    assert dict(second.skipped) == {
        "repeats an Atlas identifier already read from this file": total_rows - distinct
    }
    assert await Contract.all().count() == distinct
    stored = await Contract.all().values_list("atlas_id", flat=True)
    assert sorted(stored) == sorted(row["AOSNUMBER"] for row in atlas_rows())


async def test_counts_per_atlas_technology_match_the_file(imported, client):
    expected = Counter(row["Technology"] for row in atlas_rows())
    stored = Counter(await Contract.all().values_list("atlas_technology", flat=True))
    assert stored == expected
    # Through the public API, per taxonomy technology (two Atlas values map to one of ours).
    assert (await client.get("/api/v1/contracts?technology=face-recognition")).json()[
        "total"
    ] == expected["Face Recognition"]
    assert (await client.get("/api/v1/contracts?technology=camera-registries-networks")).json()[
        "total"
    ] == expected["Ring/Neighbors Partnership"] + expected["Camera Registry"]
    assert (await client.get("/api/v1/contracts?technology=fusion-rtcc-software")).json()[
        "total"
    ] == expected["Fusion Center"] + expected["Real-Time Crime Center"]


async def test_counts_per_vendor_match_the_file(imported, client):
    expected: Counter[str] = Counter()
    for row in atlas_rows():
        expected.update(expected_vendors(row["Vendor"]))
    links = await ContractEmployer.all().prefetch_related("employer")
    stored = Counter(link.employer.name.casefold() for link in links)
    assert stored == expected
    # Spot checks a reader can verify in a spreadsheet.
    assert stored["axon"] == 268  # 266 "Axon", "Axon, VieVu", "Intergraph Security and Axon"
    assert stored["unknown vendor"] == sum(1 for row in atlas_rows() if not row["Vendor"].strip())
    axon = await Employer.get(key="axon")
    api = (await client.get(f"/api/v1/contracts?employer={axon.slug}")).json()
    assert api["total"] == 268
    assert len(api["items"]) == 50
    assert api["next"].endswith("page=2")
    assert all("axon" in [e["slug"] for e in item["employers"]] for item in api["items"])


async def test_imported_records_keep_agency_jurisdiction_and_dated_sources(imported, client):
    record = await Contract.get(atlas_id="AOS0003").prefetch_related("sources")
    assert record.agency_name == "Atlanta Police Department"
    assert record.agency_type == "police"
    assert record.country == "US"
    assert record.jurisdiction == "Atlanta, DeKalb County, Fulton County, GA"
    assert record.status == "public-record"
    assert record.summary.startswith("The Atlanta Police Department began using ShotSpotter")
    sources = sorted(record.sources, key=lambda s: s.position)
    assert [(s.title, s.date) for s in sources] == [
        ("WSB TV", "2018-11-16"),
        ("Atlanta Police Department", "2018-09-15"),
    ]
    cbp = await Contract.filter(agency_name__startswith="U.S. Customs and Border").first()
    assert cbp.agency_type == "immigration-border"
    page = await client.get(f"/contracts/{record.id}")
    assert "Atlas of Surveillance" in page.text
    assert "WSB TV" in page.text


HEADER = (
    "AOSNUMBER,City,County,State,Agency,Type of LEA,Summary,Type of Juris,Technology,Vendor,"
    + ",".join(
        f"Link {n},Link {n} Snapshot,Link {n} Source,Link {n} Type,Link {n} Date" for n in (1, 2, 3)
    )
)


def _row(atlas_id: str, technology: str = "Drones", vendor: str = "DJI", **extra: str) -> str:
    values = {
        "AOSNUMBER": atlas_id,
        "City": "Springfield",
        "County": "Sangamon County",
        "State": "IL",
        "Agency": "Springfield Police Department",
        "Type of LEA": "Police",
        "Summary": 'Uses drones, "quoted", and\na newline.',
        "Technology": technology,
        "Vendor": vendor,
        "Link 1": "https://example.org/a",
        "Link 1 Date": "3/4/19",
        **extra,
    }
    columns = HEADER.split(",")
    return ",".join('"' + values.get(c, "").replace('"', '""') + '"' for c in columns)


def _write(path: Path, *rows: str, bom: bool = True) -> Path:
    path.write_text(("\ufeff" if bom else "") + "\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


async def test_skipped_rows_are_counted_with_their_reasons(client, tmp_path):
    path = _write(
        tmp_path / "atlas.csv",
        _row("T1"),
        _row("T2", technology="Mind Reading"),
        _row("", technology="Drones"),
        _row("T3", vendor="Flock, Others", **{"Link 1": "ftp://example.org/x"}),
        _row("T1"),
        _row("T4", Agency=""),
        '"T5","too","few"',
    )
    summary = await import_atlas(path)
    assert summary.rows_read == 7
    assert summary.created == 2
    assert dict(summary.skipped) == {
        "technology not in atlas_mapping.json: Mind Reading": 1,
        "no Atlas identifier (AOSNUMBER)": 1,
        "repeats an Atlas identifier already read from this file": 1,
        "no agency": 1,
        "malformed row (wrong number of fields)": 1,
    }
    assert dict(summary.links_dropped) == {"not an http(s) address": 1}
    flock = await Contract.get(atlas_id="T3").prefetch_related("employer_links__employer")
    assert [link.employer.name for link in flock.employer_links] == ["Flock Safety"]
    assert await ContractSource.filter(contract_id=flock.id).count() == 0
    first = await ContractSource.get(contract__atlas_id="T1")
    assert first.date == "2019-03-04"


async def test_reimport_updates_changed_rows_in_place(client, tmp_path):
    await import_atlas(_write(tmp_path / "a.csv", _row("T1"), _row("T2")))
    before = await Contract.get(atlas_id="T1")
    changed = _row("T1", vendor="Axon", Summary="Now body cameras.", Technology="Body-worn Cameras")
    summary = await import_atlas(_write(tmp_path / "b.csv", changed))
    assert (summary.created, summary.updated) == (0, 1)
    after = await Contract.get(atlas_id="T1").prefetch_related(
        "employer_links__employer", "technology_links"
    )
    assert after.id == before.id
    assert after.summary == "Now body cameras."
    assert [link.employer.name for link in after.employer_links] == ["Axon"]
    assert [link.technology for link in after.technology_links] == ["body-worn-cameras"]
    assert await Contract.all().count() == 2


async def test_unreadable_files_import_nothing(client, tmp_path):
    not_atlas = tmp_path / "other.csv"
    not_atlas.write_text("name,age\nalex,3\n", encoding="utf-8")
    with pytest.raises(AtlasFormatError, match="missing column"):
        await import_atlas(not_atlas)
    latin1 = tmp_path / "latin1.csv"
    latin1.write_bytes(
        (HEADER + "\n" + _row("T1") + "\n").encode()
        + _row("T2", Agency="Bogot\xe1").encode("latin-1")
    )
    with pytest.raises(AtlasFormatError, match="not valid UTF-8"):
        await import_atlas(latin1)
    assert await Contract.all().count() == 0  # all or nothing


def _organise(tmp_path: Path, *args: str, timeout: int) -> subprocess.CompletedProcess:
    """Run the `organise` command with a bare environment and its instance under tmp_path."""
    env = {
        "PATH": "/usr/bin:/bin",
        "ORGANISE_INSTANCE_DIR": str(tmp_path / "instance"),
        "HOME": str(tmp_path),
    }
    return subprocess.run(
        [sys.executable, "-m", "organise", *args],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_cli_shows_progress_and_a_summary(tmp_path):
    path = _write(tmp_path / "atlas.csv", _row("T1"), _row("T2", technology="Mind Reading"))
    assert _organise(tmp_path, "init", timeout=120).returncode == 0
    completed = _organise(tmp_path, "import", "atlas", str(path), timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert "Importing" in completed.stderr
    assert "Rows read:          2" in completed.stdout
    assert "Contracts created:  1" in completed.stdout
    assert "1  technology not in atlas_mapping.json: Mind Reading" in completed.stdout
    missing = _organise(tmp_path, "import", "atlas", str(tmp_path / "none.csv"), timeout=60)
    assert missing.returncode != 0
    assert "does not exist" in missing.stderr
