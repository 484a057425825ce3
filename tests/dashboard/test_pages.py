"""Dashboard pages and exports: the same suppressed numbers as the API, charts with tables."""

from __future__ import annotations

import csv
import html
import io
import re
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from organise.campaigns.models import Campaign
from organise.dashboard.aggregates import DIMENSIONS, REPORTS, Aggregator, Filters
from organise.roles import Role
from tests.dashboard.data import TARGET, load_reports
from tests.support import api_token_headers, make_organiser, sign_in

API = "/api/v1/aggregates/reports"
FILTER_SETS = (
    {},
    {"country": "DE"},
    {"employer": TARGET},
    {"employer": "Acme", "technology": "face-recognition"},
    {"from": "2024-03", "to": "2024-05"},
    {"country": "US", "technology": "drones-robots", "from": "2024-01", "to": "2024-06"},
)
SECTION = re.compile(
    r'<section class="dashboard-view" aria-labelledby="view-([a-z_]+)">(.*?)</section>', re.S
)
ROW = re.compile(r'<tr><th scope="row">(.*?)</th><td class="number">(.*?)</td></tr>', re.S)


async def signed_in(client) -> None:
    await make_organiser("robin", Role.REVIEWER)
    response = await sign_in(client, "robin")
    assert response.status_code == 303


def expected(body: dict, hidden: str = "hidden") -> list[tuple[str, str]]:
    """The rows as a table shows them: every suppressed count reads `hidden` (the CSV: "")."""
    return [
        (row["label"], hidden if row["suppressed"] else str(row["count"])) for row in body["rows"]
    ]


@pytest.mark.parametrize("params", FILTER_SETS)
async def test_page_tables_and_exports_match_the_api(app, client, params):
    await load_reports()
    headers = await api_token_headers(app)
    await signed_in(client)
    page = await client.get("/organisers/dashboard/", params=params)
    assert page.status_code == 200
    sections = dict(SECTION.findall(page.text))
    for by in DIMENSIONS:
        body = (await client.get(API, params={"by": by, **params}, headers=headers)).json()
        section = sections[by]
        shown = [
            (html.unescape(label), html.unescape(value)) for label, value in ROW.findall(section)
        ]
        assert shown == expected(body), by
        if body["rows"]:
            # Each chart is an SVG image with a title, beside its table.
            assert '<svg class="chart" role="img"' in section
            assert "<title id=" in section
            assert "<table" in section
        exported = await client.get(f"/organisers/dashboard/{by}.csv", params=params)
        assert exported.status_code == 200
        assert exported.headers["content-type"].startswith("text/csv")
        lines = list(csv.reader(io.StringIO(exported.text)))
        assert lines[0] == ["key", "label", "count", "suppressed"]
        assert [(label, count) for _key, label, count, _s in lines[1:]] == expected(body, "")
        assert [s for *_row, s in lines[1:]] == [
            "yes" if row["suppressed"] else "no" for row in body["rows"]
        ]
        as_json = await client.get(f"/organisers/dashboard/{by}.json", params=params)
        assert as_json.json() == body
        # The small employer's count never appears next to its name.
        for label, value in shown:
            if label == TARGET:
                assert value == "hidden"
    assert not re.search(r">\s*" + TARGET + r"\s*</th><td[^>]*>\s*3\s*<", page.text)


async def test_the_dashboard_needs_an_organiser(client):
    response = await client.get("/organisers/dashboard/")
    assert response.status_code == 303
    assert "/organisers/login" in response.headers["location"]
    api = await client.get(API, params={"by": "employer"})
    assert api.status_code == 401
    assert api.json()["error"]["code"]


async def test_bad_filters_are_refused_clearly(app, client):
    headers = await api_token_headers(app)
    cases = [
        ({"by": "salary"}, "invalid_dimension"),
        ({"by": "employer", "technology": "telepathy"}, "unknown_technology"),
        ({"by": "employer", "country": "XX"}, "unknown_country"),
        ({"by": "employer", "from": "2024-13"}, "invalid_month"),
        ({"by": "employer", "from": "2024-05", "to": "2024-01"}, "invalid_period"),
        ({"by": "employer", "employer": "x" * 201}, "invalid_filter"),
    ]
    for params, code in cases:
        response = await client.get(API, params=params, headers=headers)
        assert response.status_code == 400, params
        assert response.json()["error"]["code"] == code


async def test_every_bad_dimension_and_month_is_named_at_once(app, client):
    headers = await api_token_headers(app)
    params = {"by": "salary", "from": "2024-13", "to": "soon"}
    response = await client.get(API, params=params, headers=headers)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_dimension"
    assert set(error["fields"]) == {"by", "from", "to"}
    assert error["fields"]["to"] == "to must be a month written YYYY-MM, such as 2024-03."


@pytest.mark.parametrize(
    "month",
    [
        "\u0662\u0660\u0662\u0664-\u0660\u0663",  # 2024-03 in Arabic-Indic digits
        "2024-\u0660\u0663",
        "\uff12\uff10\uff12\uff14-03",  # full-width digits
        "\u0968\u0966\u0968\u096a-03",  # Devanagari digits
        "2024-3",
        "2024-13",
        "0000-01",
    ],
)
async def test_a_month_is_written_in_ascii_digits(app, client, month):
    headers = await api_token_headers(app)
    for name in ("from", "to"):
        for url in (API, "/api/v1/aggregates/contracts"):
            response = await client.get(url, params={"by": "month", name: month}, headers=headers)
            assert response.status_code == 400, (url, name)
            assert response.json()["error"]["code"] == "invalid_month"
    await signed_in(client)
    page = await client.get("/organisers/dashboard/", params={"from": month})
    assert page.status_code == 400
    assert "from must be a month written YYYY-MM, such as 2024-03." in page.text
    export = await client.get("/organisers/dashboard/month.csv", params={"to": month})
    assert export.status_code == 400
    assert "to must be a month written YYYY-MM" in export.text


async def test_merged_and_rejected_reports_are_not_counted(app, client):
    await load_reports()
    headers = await api_token_headers(app)
    body = (await client.get(API, params={"by": "agency_type"}, headers=headers)).json()
    prisons = next(row for row in body["rows"] if row["key"] == "prisons-probation")
    assert prisons["suppressed"]
    # Without the rejected and merged duplicates Xylo has 3 reports; with them it would be 5.
    counts = await Aggregator(REPORTS, 5).counts("employer", Filters())
    assert counts[TARGET][0] == 3


async def test_k_is_configurable(app, client, settings):
    app.state.runtime = replace(app.state.runtime, settings=replace(settings, small_cell_k=13))
    await load_reports()
    headers = await api_token_headers(app)
    body = (await client.get(API, params={"by": "employer"}, headers=headers)).json()
    assert body["k"] == 13
    corvid = next(row for row in body["rows"] if row["key"] == "Corvid")
    assert corvid["suppressed"]  # 12 < 13
    await signed_in(client)
    page = await client.get("/organisers/dashboard/")
    employers = dict(SECTION.findall(page.text))["employer"]
    assert dict(ROW.findall(employers))["Corvid"] == "hidden"
    assert "Hidden: under 13 reports" in employers


async def test_every_hidden_cell_reads_the_same_word_with_one_explanation(app, client):
    await load_reports()
    headers = await api_token_headers(app)
    await signed_in(client)
    page = await client.get("/organisers/dashboard/")
    sections = dict(SECTION.findall(page.text))
    counts = await Aggregator(REPORTS, 5).counts("employer", Filters())
    body = (await client.get(API, params={"by": "employer"}, headers=headers)).json()
    hidden = [row for row in body["rows"] if row["suppressed"]]
    # Hidden for being small, and hidden so that the small one cannot be worked out.
    assert any(counts[row["key"]][0] < 5 for row in hidden)
    assert any(counts[row["key"]][0] >= 5 for row in hidden)
    assert all(row["count"] is None for row in hidden)
    cells = dict(ROW.findall(sections["employer"]))
    assert {cells[html.escape(row["label"])] for row in hidden} == {"hidden"}
    assert "fewer than" not in sections["employer"]
    assert sections["employer"].count('class="hint hidden-note"') == 1
    assert 'aria-describedby="hidden-note-employer"' in sections["employer"]
    exported = list(
        csv.DictReader(io.StringIO((await client.get("/organisers/dashboard/employer.csv")).text))
    )
    assert {row["count"] for row in exported if row["suppressed"] == "yes"} == {""}
    # A table with nothing hidden has no explanation to give.
    for by, section in sections.items():
        if "hidden" not in dict(ROW.findall(section)).values():
            assert "hidden-note" not in section, by


async def test_campaign_progress_follows_the_campaign_setting(client):
    common = {
        "demand": "Drop the contract.",
        "deadline": datetime.now(UTC) + timedelta(days=30),
        "cooling_off_hours": 0,
        "audience": "organisers",
        "invite_mode": "invite",
        "onward_invites": 0,
        "gate_mode": "server",
        "gate_gatekeepers": 0,
        "gate_threshold": 1,
        "gate_identifier": 1,
        "public_key": b"\x00" * 32,
        "state": "open",
        "threshold": 100,
        "pledge_count": 43,
    }
    await Campaign.create(slug="exact", title="Exact one", progress_display="exact", **common)
    await Campaign.create(slug="rounded", title="Rounded one", progress_display="rounded", **common)
    await signed_in(client)
    page = await client.get("/organisers/dashboard/")
    assert "43 pledges of the 100 needed" in page.text
    assert "between 40 and 50 pledges of the 100 needed" in page.text
    exported = (await client.get("/organisers/dashboard/campaigns.json")).json()
    by_slug = {item["slug"]: item for item in exported["campaigns"]}
    assert by_slug["exact"]["progress"]["count"] == 43
    assert "count" not in by_slug["rounded"]["progress"]
    assert by_slug["rounded"]["progress"]["lower"] == 40
    csv_text = (await client.get("/organisers/dashboard/campaigns.csv")).text
    assert "between 40 and 50" in csv_text
    assert "43 pledges of the 100 needed" in csv_text
