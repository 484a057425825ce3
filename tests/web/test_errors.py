"""Error pages: where they lead back to."""

from __future__ import annotations

import re

from organise.roles import Role
from tests.reports.helpers import reviewer
from tests.support import SAME_ORIGIN


def _back_link(page: str) -> str:
    found = re.search(r'<p><a href="([^"]*)">[^<]*</a></p>\s*</main>', page)
    assert found is not None, page
    return found.group(1)


async def test_a_worker_page_error_leads_to_the_home_page(client):
    missing = await client.get("/campaigns/no-such-campaign")
    assert missing.status_code == 404
    assert _back_link(missing.text) == "/"
    french = await client.get("/fr/campaigns/no-such-campaign")
    assert french.status_code == 404
    assert _back_link(french.text) == "/fr/"


async def test_an_organiser_page_error_leads_back_to_the_organisers_pages(client):
    await reviewer(client, role=Role.REVIEWER)
    missing = await client.get("/organisers/reports/00000000-0000-4000-8000-000000000000")
    assert missing.status_code == 404
    assert _back_link(missing.text) == "/organisers/"
    assert "Back to the organisers" in missing.text
    refused = await client.post(
        "/organisers/reports/00000000-0000-4000-8000-000000000000/state",
        data={"state": "x"},
        headers=SAME_ORIGIN,
    )
    assert refused.status_code in (404, 422)
    assert _back_link(refused.text) == "/organisers/"
