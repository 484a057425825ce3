"""The employer list starts with the large vendors, seeded on every migrate, once each."""

from __future__ import annotations

import sqlite3

from organise.contracts.employers import canonical, seed_employers, seed_vendors
from organise.contracts.models import Employer
from tests.servers import LiveServer

NAMED = (
    "Amazon",
    "Microsoft",
    "Google",
    "Palantir",
    "Axon",
    "Motorola Solutions",
    "Clearview AI",
    "ShotSpotter",
    "Cellebrite",
    "Thomson Reuters",
    "LexisNexis",
    "IBM",
    "Oracle",
    "Salesforce",
    "Dell",
)


async def test_seeding_creates_the_named_vendors_once(client):
    assert await seed_employers() == len(NAMED)
    assert sorted(await Employer.all().values_list("name", flat=True)) == sorted(NAMED)
    slugs = set(await Employer.all().values_list("slug", flat=True))
    assert {"amazon", "motorola-solutions", "clearview-ai", "ibm"} <= slugs
    assert await seed_employers() == 0
    assert await Employer.all().count() == len(NAMED)


async def test_seeding_keeps_employers_that_already_exist(client):
    # As an Atlas import made them: the same companies under their own keys and slugs.
    axon = await Employer.create(name="Axon", slug="axon", key="axon")
    await Employer.create(name="IBM", slug="ibm-2", key="ibm")
    assert await seed_employers() == len(NAMED) - 2
    assert await Employer.get(key="axon") == axon
    assert (await Employer.get(key="ibm")).slug == "ibm-2"
    assert await Employer.all().count() == len(NAMED)


def test_other_names_match_their_vendor_and_subsidiaries_stay_apart():
    assert [v.display for v in canonical("SoundThinking, Inc.")] == ["ShotSpotter"]
    assert [v.display for v in canonical("palantir technologies")] == ["Palantir"]
    assert [v.display for v in canonical("Amazon.com, Inc.")] == ["Amazon"]
    assert [v.key for v in canonical("MICROSOFT CORPORATION")] == ["microsoft"]
    # Ring and Amazon Web Services belong to Amazon but are companies of their own.
    assert [v.key for v in canonical("Ring")] == ["ring"]
    assert [v.key for v in canonical("Amazon Web Services")] == ["amazon web services"]
    assert sorted(v.display for v in seed_vendors()) == sorted(NAMED)


def test_migrate_seeds_the_employer_list_and_again_changes_nothing(tmp_path):
    operator = LiveServer(tmp_path)  # not started: its environment and `run_cli` only
    for _run in range(2):
        result = operator.run_cli("migrate")
        assert result.returncode == 0, result.stderr
        with sqlite3.connect(operator.instance_dir / "organise.sqlite3") as database:
            names = [row[0] for row in database.execute("SELECT name FROM contract_employer")]
        assert sorted(names) == sorted(NAMED)
