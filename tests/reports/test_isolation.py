"""A reporter sees their own report only: merging tells them nothing about other reports."""

from __future__ import annotations

import pytest

from organise.reports.models import Report, ReviewState
from tests.reports.helpers import merge, propose, reviewer, set_state, status, submit, switch_to
from tests.support import post_form


async def _follow_up(client, receipt: str) -> str:
    client.cookies.clear()
    page = await post_form(client, "/reports/follow-up", {"receipt": receipt})
    assert page.status_code == 200
    return page.text


@pytest.mark.publish_approvals(1)
async def test_a_planted_report_learns_nothing_from_being_merged(client):
    await reviewer(client, "robin")
    genuine_receipt = await submit(client, details="I work on the matcher.")
    genuine = await Report.get()
    planted_receipt = await submit(client, details="Made up to see what happens.")
    planted = await Report.exclude(id=genuine.id).get()

    # Reviewers judge the genuine report, then fold the planted one into it.
    assert (await set_state(client, genuine, "verified")).status_code == 303
    assert (await merge(client, planted, genuine)).status_code == 303

    seen = await status(client, planted_receipt)
    assert seen["state"] == "new"  # its own state, not the verified one it was merged into
    assert "merged" not in seen
    page = await _follow_up(client, planted_receipt)
    assert "Received; not reviewed yet." in page
    assert "Verified" not in page
    assert "another report" not in page
    assert (await status(client, genuine_receipt))["state"] == "verified"

    # Later judgements of the group do not reach the merged report either.
    await switch_to(client, "robin")
    assert (await set_state(client, genuine, "rejected")).status_code == 303
    assert (await status(client, planted_receipt))["state"] == "new"
    assert (await Report.get(id=planted.id)).state == ReviewState.NEW

    # Publication is public anyway: every report behind the record then shows published.
    await switch_to(client, "robin")
    await set_state(client, genuine, "verified")
    proposed = await propose(client, genuine)
    assert proposed.status_code == 303
    assert (await status(client, planted_receipt))["state"] == "published"
    assert (await status(client, genuine_receipt))["state"] == "published"
    assert "merged" not in await _follow_up(client, planted_receipt)
