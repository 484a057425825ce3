"""Failure limits of the reporters' endpoints: past the limit, failures are answered 429 (with
Retry-After and when to try again); a right receipt, or a well-formed report, never is."""

from __future__ import annotations

import dataclasses

import pytest

from crypto import codes
from organise.ratelimit import FailureRate
from organise.reports.models import Report, ReportMessage
from tests.reports.helpers import post_form, report_json, submit
from tests.support import assert_too_many

TINY = FailureRate(failures=3, seconds=3600)


@pytest.fixture
def settings(settings):
    return dataclasses.replace(settings, rate_limit=TINY)


async def test_follow_up_with_the_right_receipt_works_during_a_flood(client):
    receipt = await submit(client)
    for _ in range(TINY.failures):
        wrong = await post_form(client, "/reports/follow-up", {"receipt": codes.new_receipt()})
        assert wrong.status_code == 404
    limited = await post_form(client, "/reports/follow-up", {"receipt": codes.new_receipt()})
    assert_too_many(limited, "No report matches this receipt")
    assert 'name="receipt"' in limited.text
    page = await post_form(client, "/reports/follow-up", {"receipt": receipt})
    assert page.status_code == 200
    assert "Received; not reviewed yet." in page.text
    # The reply form: wrong receipts meet the limit, the right one writes at once; an empty
    # message with the right receipt is told what to fix, never to wait.
    for _ in range(TINY.failures + 1):
        wrong = await post_form(
            client, "/reports/follow-up/reply", {"receipt": codes.new_receipt(), "message": "x"}
        )
    assert_too_many(wrong, "No report matches this receipt")
    for _ in range(TINY.failures + 1):
        empty = await post_form(
            client, "/reports/follow-up/reply", {"receipt": receipt, "message": ""}
        )
        assert empty.status_code in {400, 422}
    sent = await post_form(
        client, "/reports/follow-up/reply", {"receipt": receipt, "message": "Still here."}
    )
    assert sent.status_code == 200
    assert "Your message was sent" in sent.text
    assert await ReportMessage.all().count() == 1


async def test_the_json_follow_up_answers_a_right_receipt_during_a_flood(client):
    receipt = await submit(client)
    for _ in range(TINY.failures + 1):
        wrong = await client.post(
            "/api/v1/reports/messages", json={"receipt": codes.new_receipt(), "message": "hi"}
        )
    assert_too_many(wrong, "No report matches this receipt")
    for _ in range(TINY.failures + 1):
        empty = await client.post("/api/v1/reports/messages", json={"receipt": receipt})
        assert empty.status_code in {400, 422}
    sent = await client.post(
        "/api/v1/reports/messages", json={"receipt": receipt, "message": "Still here."}
    )
    assert sent.status_code == 201
    for _ in range(TINY.failures + 1):
        wrong = await client.post("/api/v1/reports/status", json={"receipt": "not a receipt"})
    assert_too_many(wrong, "No report matches this receipt")
    right = await client.post("/api/v1/reports/status", json={"receipt": receipt})
    assert right.status_code == 200


async def test_malformed_reports_meet_the_limit_and_a_well_formed_one_never_does(client):
    for _ in range(TINY.failures + 1):
        bad = await client.post("/api/v1/reports", json=report_json(agency_type="aliens"))
    assert_too_many(bad, "")
    assert "agency_type" in bad.json()["error"]["fields"]
    assert (await client.post("/api/v1/reports", json=report_json())).status_code == 201
    # The form: past the limit it comes back filled in, with what to correct.
    form = {"employer_new": "Examplecorp", "details": "Keep every word of this."}
    for _ in range(TINY.failures + 1):
        page = await post_form(client, "/reports/new", form)
    assert_too_many(page, "")
    assert "Keep every word of this." in page.text
    assert await Report.all().count() == 1
