"""Submitting a report, by web form and by JSON; bad input stores nothing."""

from __future__ import annotations

import json
import re

import pytest

from crypto import codes
from organise.contracts.employers import seed_employers
from organise.contracts.models import Employer
from organise.reports.inbox import ensure_inbox, pending_key_name
from organise.reports.models import InboxGrant, Report, ReportInbox, ReviewState
from organise.roles import Role
from organise.weeks import this_week
from tests.reports.helpers import JSON, report_json, row_counts, submit
from tests.support import make_organiser, post_form

FORM = {
    "employer": "Examplecorp",
    "agency": "Springfield Police Department",
    "agency_type": "police",
    "country": "US",
    "jurisdiction": "Springfield",
    "technologies": ["face-recognition", "drones-robots"],
    "product": "",
    "status": "rumoured",
    "value_range": "",
    "currency": "",
    "period_start": "2024-03",
    "period_end": "",
    "sources": "https://example.org/a\nhttps://example.org/b",
    "relation": "former-employee",
    "details": "The drone feed goes to the department.",
}


async def test_api_report_returns_a_receipt_and_keeps_structured_fields(client):
    await make_organiser("robin", Role.REVIEWER)
    receipt = await submit(client)
    assert len(receipt.split("-")) == 8
    assert codes.normalise_receipt(receipt) == receipt
    report = await Report.get()
    assert report.employer_name == "Examplecorp"
    assert report.status == "known-internally"
    assert report.relation == "current-employee"
    assert report.sources == ["https://example.org/council-minutes"]
    assert report.week == this_week()
    assert report.week.weekday() == 0
    assert report.state == ReviewState.NEW
    technologies = await report.technology_links.all().values_list("technology", flat=True)
    assert sorted(technologies) == ["cloud-hosting", "face-recognition"]
    # Only a keyed hash of the receipt is kept, and the details only sealed.
    assert receipt not in report.receipt_hash
    assert b"matching service" not in report.details_sealed


async def test_reports_are_accepted_before_any_reviewer_exists(client, app):
    await submit(client, details="Waiting for a reviewer to read this.")
    inbox = await ReportInbox.get()
    keystore = app.state.runtime.keystore
    assert keystore.get(pending_key_name(inbox)) is not None
    assert await InboxGrant.all().count() == 0
    # The first reviewer to exist receives the inbox key; the keystore forgets it.
    robin = await make_organiser("robin", Role.REVIEWER)
    await ensure_inbox(keystore)
    assert keystore.get(pending_key_name(inbox)) is None
    assert await InboxGrant.filter(organiser_id=robin.id).count() == 1


async def test_form_report_shows_the_receipt_once_then_asks_to_confirm_it(client):
    page = await post_form(client, "/reports/new", FORM)
    assert page.status_code == 201
    assert "set-cookie" not in page.headers
    receipt = re.search(r'<code class="secret">([a-z-]+)</code>', page.text).group(1)
    assert len(receipt.split("-")) == 8
    report = await Report.get()
    assert report.employer_name == "Examplecorp"
    assert report.sources == ["https://example.org/a", "https://example.org/b"]
    wrong = await post_form(client, "/reports/receipt", {"receipt": receipt, "check": "no idea"})
    assert wrong.status_code == 400
    assert "not the last two words" in wrong.text
    last_two = " ".join(receipt.split("-")[-2:])
    kept = await post_form(client, "/reports/receipt", {"receipt": receipt, "check": last_two})
    assert kept.status_code == 200
    assert "Thank you" in kept.text
    assert receipt not in kept.text


async def test_the_form_suggests_the_seeded_vendors_and_files_under_the_listed_name(client):
    await seed_employers()
    page = await client.get("/reports/new", follow_redirects=True)
    suggested = re.search(r'<datalist id="employer-names">(.*?)</datalist>', page.text, re.S)
    offered = re.findall(r'<option value="([^"]+)">', suggested.group(1))
    for vendor in ("Amazon", "Microsoft", "Palantir", "Axon", "ShotSpotter", "SoundThinking"):
        assert vendor in offered
    assert 'list="employer-names"' in page.text
    # Whatever the capitals, and by its other name, a listed employer is the one filed.
    for typed, filed in (("mICROSOFT", "Microsoft"), ("soundthinking", "ShotSpotter")):
        done = await post_form(client, "/reports/new", {**FORM, "employer": typed})
        assert done.status_code == 201
        report = await Report.get(employer_name=filed)
        assert report.employer_id == (await Employer.get(name=filed)).id


async def test_a_refused_form_keeps_the_employer_as_typed(client):
    await seed_employers()
    refused = await post_form(
        client, "/reports/new", {**FORM, "employer": "palantir TECHNOLOGIES", "technologies": []}
    )
    assert refused.status_code == 422
    assert 'name="employer" value="palantir TECHNOLOGIES"' in refused.text
    assert await Report.all().count() == 0
    sent = await post_form(client, "/reports/new", {**FORM, "employer": "palantir TECHNOLOGIES"})
    assert sent.status_code == 201
    assert (await Report.get()).employer_name == "Palantir"


async def test_a_typed_employer_matching_a_known_one_is_linked(client):
    axon = await Employer.create(name="Axon", slug="axon", key="axon")
    await submit(client, employer="Axon Enterprise, Inc.")
    report = await Report.get()
    assert report.employer_id == axon.id
    assert report.employer_name == "Axon"


async def test_every_taxonomy_slug_is_accepted_by_the_reports_api(client):
    taxonomy = (await client.get("/api/v1/taxonomy")).json()
    technologies = [entry["slug"] for entry in taxonomy["technologies"]]
    await submit(client, technologies=technologies)
    for status in taxonomy["statuses"]:
        for relation in taxonomy["relations"]:
            await submit(
                client,
                status=status["slug"],
                relation=relation["slug"],
                agency_type=taxonomy["agency_types"][0]["slug"],
            )
    assert await Report.all().count() == 1 + len(taxonomy["statuses"]) * len(taxonomy["relations"])


BAD_JSON = [
    ({"technologies": ["face-recognition", "mind-reading"]}, 422, "unknown_technology"),
    ({"technologies": []}, 422, "missing_field"),
    ({"technologies": "face-recognition"}, 422, "invalid_field"),
    ({"employer": ""}, 422, "missing_field"),
    ({"employer": ...}, 422, "missing_field"),
    ({"status": "certain"}, 422, "unknown_status"),
    ({"status": ...}, 422, "missing_field"),
    ({"sources": ["javascript:alert(1)"]}, 422, "invalid_link"),
    ({"sources": ["ftp://example.org/file"]}, 422, "invalid_link"),
    ({"sources": ["example.org/no-scheme"]}, 422, "invalid_link"),
    ({"sources": ["https://example.org/" + "a" * 2100]}, 422, "too_long"),
    ({"sources": [f"https://example.org/{n}" for n in range(11)]}, 422, "too_many"),
    ({"sources": "https://example.org"}, 422, "invalid_field"),
    ({"details": "x" * 8001}, 422, "too_long"),
    ({"details": 42}, 422, "invalid_field"),
    ({"details": "bad \ud800 surrogate"}, 400, "invalid_text"),
    ({"details": "nul \x00 byte"}, 400, "invalid_text"),
    ({"period_start": "2024-13"}, 422, "invalid_month"),
    ({"period_start": "March 2024"}, 422, "invalid_month"),
    # Arabic-Indic and superscript digits are digits to \d, not to a month.
    ({"period_start": "\u0662\u0660\u0662\u0664-\u0660\u0663"}, 422, "invalid_month"),
    ({"period_end": "2024-0\u00b3"}, 422, "invalid_month"),
    ({"period_start": "2025-01", "period_end": "2024-01"}, 422, "invalid_period"),
    ({"country": "XX"}, 422, "unknown_country"),
    ({"currency": "DOLLARS"}, 422, "unknown_currency"),
    ({"relation": "ceo"}, 422, "unknown_relation"),
    ({"agency_type": "secret-police"}, 422, "unknown_agency_type"),
    ({"technology": ["face-recognition"]}, 422, "unknown_field"),
]


@pytest.mark.parametrize(("changes", "status", "code"), BAD_JSON)
async def test_bad_json_reports_get_a_clear_4xx_and_store_nothing(client, changes, status, code):
    before = await row_counts()
    # json.dumps escapes a lone surrogate as \ud800, as a careless client would send it.
    body = json.dumps(report_json(**changes))
    response = await client.post("/api/v1/reports", content=body, headers=JSON)
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] == code
    assert len(error["message"]) > 10
    assert await row_counts() == before


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b'{"employer": "Examplecorp", "details": "\xff\xfe"}', 400, "invalid_utf8"),
        (b'{"employer": ', 400, "invalid_json"),
        (b'["a list"]', 400, "invalid_json"),
    ],
)
async def test_malformed_json_bodies_store_nothing(client, body, status, code):
    before = await row_counts()
    response = await client.post("/api/v1/reports", content=body, headers=JSON)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code
    assert await row_counts() == before


async def test_wrong_content_type_is_refused(client):
    response = await client.post("/api/v1/reports", content=b"employer=x")
    assert response.status_code == 415
    assert await Report.all().count() == 0


@pytest.mark.parametrize(
    ("changes", "needle"),
    [
        ({"technologies": ["face-recognition", "mind-reading"]}, "not a known technology"),
        ({"sources": "not a link"}, "must be a full web address"),
        ({"details": "x" * 8001}, "at most 8000 characters"),
        ({"technologies": []}, "at least one technology"),
        ({"status": ""}, "Say how public this contract is."),
    ],
)
async def test_bad_form_reports_show_the_form_again_and_store_nothing(client, changes, needle):
    before = await row_counts()
    response = await post_form(client, "/reports/new", {**FORM, **changes})
    assert response.status_code in {400, 422}
    assert needle in response.text
    assert 'name="employer" value="Examplecorp"' in response.text  # kept for correction
    assert await row_counts() == before


def _field_errors(html: str) -> dict[str, str]:
    return dict(re.findall(r'<p class="field-error" id="([a-z_]+)-error">([^<]+)</p>', html))


async def test_every_problem_is_shown_at_once_beside_its_field_with_what_was_typed(client):
    before = await row_counts()
    typed = {
        **FORM,
        "employer": "",
        "status": "",
        "technologies": [],
        "period_start": "2025-02",
        "period_end": "2024-01",
        "sources": "not a link",
        "currency": "DOLLARS",
    }
    response = await post_form(client, "/reports/new", typed)
    assert response.status_code == 422
    errors = _field_errors(response.text)
    assert errors == {
        "employer": "Employer is required.",
        "status": "Say how public this contract is.",
        "technologies": "Choose at least one technology.",
        "period_end": "The end month is before the start month.",
        "sources": errors["sources"],
        "currency": "Currency must be a three-letter ISO code, such as USD or EUR.",
    }
    assert "full web address" in errors["sources"]
    assert "6 answers need correcting" in response.text
    # Each control says it is wrong and points at its own message.
    assert re.search(
        r'id="employer"[^>]*aria-invalid="true"[^>]*aria-describedby="employer-error', response.text
    )
    assert 'id="status" aria-invalid="true" aria-describedby="status-error"' in response.text
    # What was typed is all still there.
    assert 'name="agency" value="Springfield Police Department"' in response.text
    assert 'name="period_start" value="2025-02"' in response.text
    assert ">not a link</textarea>" in response.text
    assert ">The drone feed goes to the department.</textarea>" in response.text
    assert 'value="former-employee" checked' in response.text
    assert 'name="currency" value="DOLLARS"' in response.text
    assert await row_counts() == before


async def test_the_json_api_names_every_bad_field_at_once(client):
    response = await client.post(
        "/api/v1/reports",
        json=report_json(
            employer="", technologies=[], period_start="2025-02", period_end="2024-01"
        ),
    )
    assert response.status_code == 422
    assert set(response.json()["error"]["fields"]) == {"employer", "technologies", "period_end"}


async def test_the_form_marks_what_is_required_and_names_each_field_plainly(client):
    page = (await client.get("/reports/new", follow_redirects=True)).text
    marked = re.findall(
        r'<(?:label for="([a-z_]+)"|fieldset id="([a-z_]+)"[^>]*>\s*<legend)>?([^<]*)'
        r'<span class="required">\(required\)</span>',
        page,
    )
    assert sorted(a or b for a, b, _name in marked) == ["employer", "status", "technologies"]
    assert "How public is this contract?" in page
    assert ">Status<" not in page
    assert "How do you know?" in page
    assert "Only the answers marked" in page


async def test_form_with_invalid_utf8_is_refused(client):
    body = b"employer=Examplecorp&technologies=drones-robots&status=rumoured&details=%FF%FE"
    response = await client.post(
        "/reports/new",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Sec-Fetch-Site": "same-origin",
        },
    )
    assert response.status_code == 400
    assert "UTF-8" in response.text
    assert await Report.all().count() == 0


async def test_report_form_page_needs_no_cookie_and_lists_the_taxonomy(client):
    page = await client.get("/reports/new", follow_redirects=True)
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert "<script" not in page.text
    assert "Licence-plate readers" in page.text
    assert "Detention and deportation logistics" in page.text
    assert "Current employee" in page.text
