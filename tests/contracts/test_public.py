"""The public contract database: pages, filters, JSON twins, CSV export."""

from __future__ import annotations

import csv
import io
import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from organise.contracts.models import (
    Contract,
    ContractEmployer,
    Employer,
)
from organise.contracts.taxonomy import taxonomy
from organise.web.spreadsheet import neutralise
from organise.weeks import this_week
from tests.contracts.helpers import make_contract
from tests.support import campaign_owner


@pytest.fixture
async def sample(client):
    axon = await Employer.create(name="Axon", slug="axon", key="axon")
    idemia = await Employer.create(name="Idemia", slug="idemia", key="idemia")
    for n in range(60):
        await make_contract(axon, agency=f"Agency {n:02d}", technology="body-worn-cameras")
    await make_contract(idemia, agency="Bundespolizei", country="DE")
    await make_contract(idemia, agency="Metropolitan Police", country="GB", reports=7)
    return axon, idemia


async def test_api_filters_and_paginates_with_a_total_of_every_match(client, sample):
    page1 = (await client.get("/api/v1/contracts?employer=axon")).json()
    assert page1["total"] == 60
    assert len(page1["items"]) == 50
    assert page1["next"] == "http://testserver/api/v1/contracts?employer=axon&page=2"
    page2 = (await client.get(page1["next"])).json()
    assert page2["total"] == 60
    assert len(page2["items"]) == 10
    assert page2["next"] is None
    ids = {item["id"] for item in page1["items"]} | {item["id"] for item in page2["items"]}
    assert len(ids) == 60
    item = page1["items"][0]
    assert set(item) >= {"id", "url", "employers", "agency", "technologies", "status", "sources"}
    assert item["employers"] == [
        {"name": "Axon", "slug": "axon", "url": "http://testserver/contracts/employers/axon"}
    ]
    assert item["technologies"] == ["body-worn-cameras"]
    assert item["sources"][0]["url"] == "https://example.org/source"
    # Where a record came from stays internal, whether an import or workers' reports.
    assert "origin" not in item
    assert "independent_reports" not in item

    by_country = (await client.get("/api/v1/contracts?country=de")).json()
    assert by_country["total"] == 1
    assert by_country["items"][0]["agency"]["name"] == "Bundespolizei"
    combined = (
        await client.get("/api/v1/contracts?employer=idemia&technology=face-recognition&country=GB")
    ).json()
    assert combined["total"] == 1
    assert set(combined["items"][0]) == set(item)  # seven reports behind it, and nothing says so
    assert (await client.get("/api/v1/contracts?employer=nobody")).json() == {
        "items": [],
        "total": 0,
        "next": None,
    }
    everything = (await client.get("/api/v1/contracts")).json()
    assert everything["total"] == 62


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("technology=mind-reading", "unknown_technology"),
        ("country=Germany", "unknown_country"),
        ("page=0", "invalid_page"),
        ("page=two", "invalid_page"),
        ("page=%C2%B2", "invalid_page"),  # "²": isdigit() says yes, int() says no
        ("page=%D9%A3", "invalid_page"),  # Arabic-Indic three
        ("page=" + "9" * 30, "invalid_page"),
        ("agency=" + "x" * 300, "invalid_filter"),
    ],
)
async def test_bad_filters_get_a_clear_400(client, query, code):
    response = await client.get(f"/api/v1/contracts?{query}")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    page = await client.get(f"/contracts/?{query}")
    assert page.status_code == 400
    assert "<h1>" in page.text
    export = await client.get(f"/contracts/export.csv?{query}")
    assert export.status_code == 400
    assert "<h1>" in export.text


async def test_overlong_or_odd_employer_addresses_are_404_not_500(client):
    await Employer.create(name="Axon", slug="axon", key="axon")
    for slug in ("a" * 121, "axon" * 40, "%00axon", "%C2%B2"):
        page = await client.get(f"/contracts/employers/{slug}")
        assert page.status_code == 404, slug
        assert "no employer at this address" in page.text
    # An over-long employer filter is refused with a reason, never a server error.
    api = await client.get("/api/v1/contracts?employer=" + "a" * 150)
    assert api.status_code == 400
    assert api.json()["error"]["code"] == "invalid_filter"
    for url in ("/contracts/?employer=", "/contracts/export.csv?employer="):
        response = await client.get(url + "a" * 150)
        assert response.status_code == 400
        assert "at most 120 characters" in response.text


async def test_taxonomy_lists_every_vocabulary_with_slugs_and_labels(client):
    data = (await client.get("/api/v1/taxonomy")).json()
    assert set(data) >= {"technologies", "agency_types", "statuses", "relations"}
    groups = {group["slug"] for group in data["technology_groups"]}
    for entry in data["technologies"]:
        assert set(entry) == {"slug", "label", "group"}
        assert entry["group"] in groups
    for kind in ("agency_types", "statuses", "relations"):
        assert all(set(entry) == {"slug", "label"} for entry in data[kind])
    assert [s["slug"] for s in data["statuses"]] == [
        "rumoured",
        "known-internally",
        "public-record",
    ]
    assert {t["slug"] for t in data["technologies"]} == taxonomy().slugs("technologies")
    assert len(data["agency_types"]) == 10
    assert {"slug": "current-employee", "label": "Current employee"} in data["relations"]


@pytest.mark.usefixtures("sample")
async def test_pages_browse_filter_and_link_employers_and_contracts(client):
    index = await client.get("/contracts/?technology=face-recognition")
    assert index.status_code == 200
    assert "set-cookie" not in index.headers
    assert "2 published contracts match." in index.text
    assert "Bundespolizei" in index.text
    assert "Agency 00" not in index.text
    employer = await client.get("/contracts/employers/axon")
    assert employer.status_code == 200
    assert "60 published contracts match." in employer.text
    assert "Next page" in employer.text
    second = await client.get("/contracts/employers/axon?page=2")
    assert "Previous page" in second.text
    contract = await Contract.get(agency_name="Metropolitan Police")
    detail = await client.get(f"/contracts/{contract.id}")
    assert detail.status_code == 200
    assert "Idemia" in detail.text
    assert "https://example.org/source" in detail.text
    # Seven reports are behind this record: its facts say nothing of them.
    facts = re.search(r'<dl class="facts">(.*?)</dl>', detail.text, re.S).group(1)
    assert "report" not in facts.lower()
    assert "<dd>7</dd>" not in facts
    assert (await client.get("/contracts/employers/nobody")).status_code == 404
    assert (await client.get(f"/contracts/{uuid.uuid4()}")).status_code == 404


async def test_csv_export_matches_the_filters_and_neutralises_formulas(client):
    evil = await Employer.create(name='=HYPERLINK("http://x")', slug="evil", key="evil")
    await make_contract(
        evil, agency="+SUM(A1:A9)", summary="-2+3 and @cmd", country="US", reports=2
    )
    await make_contract(evil, agency="Plain agency", summary="\tTabbed", technology="drones-robots")
    response = await client.get("/contracts/export.csv?technology=face-recognition")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert len(rows) == 1
    row = rows[0]
    assert row["employers"] == '\'=HYPERLINK("http://x")'
    assert row["agency"] == "'+SUM(A1:A9)"
    assert row["summary"] == "'-2+3 and @cmd"
    # Nothing in the export tells a record built from reports from an imported one.
    assert "independent_reports" not in row
    assert "origin" not in row
    everything = list(csv.DictReader(io.StringIO((await client.get("/contracts/export.csv")).text)))
    assert len(everything) == 2
    assert {r["summary"] for r in everything} == {"'-2+3 and @cmd", "'\tTabbed"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(1)", "'@SUM(1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("plain", "plain"),
        ("a=b", "a=b"),
        (None, ""),
        (5, "5"),
    ],
)
def test_neutralise(value, expected):
    assert neutralise(value) == expected


async def test_csv_export_streams_more_than_one_batch(client):
    employer = await Employer.create(name="Bulk", slug="bulk", key="bulk")
    contracts = [
        Contract(
            summary=f"s{n}",
            status="public-record",
            agency_name=f"Agency {n:04d}",
            agency_type="police",
            country="US",
            origin="atlas",
            published_week=this_week(),
        )
        for n in range(1203)
    ]
    await Contract.bulk_create(contracts)
    await ContractEmployer.bulk_create(
        [ContractEmployer(contract_id=c.id, employer_id=employer.id) for c in contracts]
    )
    rows = list(csv.DictReader(io.StringIO((await client.get("/contracts/export.csv")).text)))
    assert len(rows) == 1203
    assert len({row["id"] for row in rows}) == 1203


async def test_contract_and_employer_pages_link_campaigns_about_them(client, app):
    from crypto.gate import GatePolicy
    from organise.campaigns.setup import CampaignSpec, create_campaign

    axon = await Employer.create(name="Axon", slug="axon", key="axon")
    other = await Employer.create(name="Idemia", slug="idemia", key="idemia")
    contract = await make_contract(axon)
    unrelated = await make_contract(other)

    async def campaign(slug: str, employer: str, contract_text: str = "") -> None:
        await create_campaign(
            CampaignSpec(
                slug=slug,
                title=f"Campaign {slug}",
                demand="We will not build it.",
                threshold=3,
                deadline=datetime.now(UTC) + timedelta(days=30),
                employer=employer,
                contract=contract_text,
                cooling_off_hours=0,
                gate=GatePolicy("server"),
            ),
            owner=await campaign_owner(),
            keystore=app.state.runtime.keystore,
            pepper=app.state.runtime.code_pepper,
        )

    await campaign("by-employer", "Axon Enterprise, Inc.")
    await campaign("by-contract", "", f"http://testserver/contracts/{contract.id}")
    await campaign("elsewhere", "Palantir")
    page = (await client.get(f"/contracts/{contract.id}")).text
    assert 'href="http://testserver/campaigns/by-employer"' in page
    assert 'href="http://testserver/campaigns/by-contract"' in page
    assert "Campaign elsewhere" not in page
    employer_page = (await client.get("/contracts/employers/axon")).text
    assert "Campaign by-employer" in employer_page
    assert "Campaign by-contract" not in employer_page
    assert '<ul class="campaigns">' not in (await client.get(f"/contracts/{unrelated.id}")).text
