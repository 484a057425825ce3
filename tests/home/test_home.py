"""The home page promises only what the code does."""

from __future__ import annotations

import html


async def test_the_home_page_claims_no_more_than_holds(client):
    page = html.unescape((await client.get("/")).text)
    assert page.count("gatekeepers") >= 1
    # Gatekeepers protect only where they received their shares directly; paper sheets passed
    # through the organiser who printed them, and without gatekeepers the server alone decides.
    assert "who each received their share directly" in page
    assert "the organiser who printed them saw them all and could reveal early too" in page
    assert "Whoever runs this server could reveal a campaign's pledges early" in page
    assert "independent gatekeepers" not in page
    # A pledge is not promised unreadable "by anyone" (the server's operator could, alone).
    assert "cannot be read by anyone" not in page
    assert "own, higher threshold" in page
