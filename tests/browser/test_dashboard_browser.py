"""The organiser dashboard in headless Chromium with JavaScript off: every chart is a
server-rendered SVG image with a table of the same numbers beside it, and every hidden count
reads "hidden", with one explanation beside its table."""

from __future__ import annotations

import httpx

from tests.browser.conftest import save_screenshot
from tests.support import PASSPHRASE

EMPLOYERS = {"Northwind Analytics": 7, "Skyward Drones": 6, "Tiny Vendor": 2}


def _report(url: str, employer: str, index: int) -> None:
    body = {
        "employer": employer,
        "agency_type": ("police", "sheriff")[index % 2],
        "country": ("US", "DE")[index % 2],
        "technologies": [("face-recognition", "drones-robots")[index % 2]],
        "status": "known-internally",
        "details": "A report for the dashboard screenshot.",
    }
    response = httpx.post(f"{url}/api/v1/reports", json=body, timeout=30)
    assert response.status_code == 201, response.text


def test_dashboard_charts_render_without_javascript(live_server, page):
    for employer, count in EMPLOYERS.items():
        for index in range(count):
            _report(live_server.url, employer, index)
    live_server.create_organiser("dash-browser", "organiser")

    page.goto(live_server.url + "/organisers/login")
    page.fill("#username", "dash-browser")
    page.fill("#passphrase", PASSPHRASE)
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + "/organisers/dashboard/")
    assert page.locator("h1").inner_text() == "Dashboard"
    save_screenshot(page, "dashboard")

    sections = page.locator("section.dashboard-view")
    charts = 0
    for index in range(sections.count()):
        section = sections.nth(index)
        for svg_index in range(section.locator("svg[role=img]").count()):
            svg = section.locator("svg[role=img]").nth(svg_index)
            assert svg.locator("title").count() >= 1
            assert svg.bounding_box()["height"] > 0  # drawn, without any script
            # Its table is right beside it, in the same block.
            assert section.locator(".chart-and-table table").count() == 1
            charts += 1
    assert charts >= 7  # every report view, and the campaign view when there are campaigns

    employer_table = page.locator("section[aria-labelledby=view-employer] table")
    rows = {
        row.locator("th").inner_text(): row.locator("td").inner_text()
        for row in employer_table.locator("tbody tr").all()
    }
    assert rows["Tiny Vendor"] == "hidden"
    # Complementary suppression hides the next-smallest employer too, in the same word.
    assert rows["Skyward Drones"] == "hidden"
    assert rows["Northwind Analytics"] == "7"
    note = page.locator("section[aria-labelledby=view-employer] .hidden-note")
    assert note.count() == 1
    assert note.is_visible()
    assert "Hidden: under 5 reports" in note.inner_text()
