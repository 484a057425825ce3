"""Coming back with the receipt: review state, messages both ways, wrong receipts."""

from __future__ import annotations

import pytest

from organise.reports.models import Author, Report, ReportMessage
from organise.weeks import this_week
from tests.reports.helpers import reviewer, row_counts, set_state, status, submit
from tests.support import post_form


async def _reply_as_reviewer(client, report: Report, text: str) -> None:
    response = await post_form(client, f"/organisers/reports/{report.id}/reply", {"message": text})
    assert response.status_code == 303, response.text


async def test_reporter_reads_a_reviewer_reply_and_answers_it(client):
    await reviewer(client)
    receipt = await submit(client)
    report = await Report.get()
    first = await status(client, receipt)
    assert first["state"] == "new"
    assert first["messages"] == []
    assert first["week"] == this_week().isoformat()

    await _reply_as_reviewer(client, report, "Which year did the pilot start?")
    client.cookies.clear()  # the reporter has no session
    seen = await status(client, receipt)
    assert [m["text"] for m in seen["messages"]] == ["Which year did the pilot start?"]
    assert seen["messages"][0]["author"] == "reviewer"
    assert seen["messages"][0]["week"] == this_week().isoformat()

    answer = await client.post(
        "/api/v1/reports/messages", json={"receipt": receipt, "message": "It started in 2023."}
    )
    assert answer.status_code == 201
    assert [m["author"] for m in answer.json()["messages"]] == ["reviewer", "reporter"]
    messages = await ReportMessage.filter(report_id=report.id).order_by("position")
    assert [(m.position, m.author) for m in messages] == [
        (1, Author.REVIEWER),
        (2, Author.REPORTER),
    ]
    assert all(m.week == this_week() for m in messages)


async def test_follow_up_pages_work_with_the_receipt_in_post_bodies_only(client):
    await reviewer(client)
    receipt = await submit(client)
    report = await Report.get()
    await _reply_as_reviewer(client, report, "Can you share the contract number?")
    client.cookies.clear()

    form = await client.get("/reports/follow-up", follow_redirects=True)
    assert form.status_code == 200
    assert 'method="post"' in form.text
    page = await post_form(
        client, "/reports/follow-up", {"receipt": receipt.upper().replace("-", " ")}
    )
    assert page.status_code == 200
    assert "set-cookie" not in page.headers
    assert "Received; not reviewed yet." in page.text
    assert "Can you share the contract number?" in page.text
    assert f'name="receipt" value="{receipt}"' in page.text  # for the reply, by POST

    reply = await post_form(
        client, "/reports/follow-up/reply", {"receipt": receipt, "message": "No, sorry."}
    )
    assert reply.status_code == 200
    assert "Your message was sent" in reply.text
    assert "No, sorry." in reply.text
    assert await ReportMessage.filter(author=Author.REPORTER).count() == 1


async def test_state_changes_are_visible_to_the_reporter(client):
    await reviewer(client)
    receipt = await submit(client)
    report = await Report.get()
    changed = await set_state(client, report, "corroborated")
    assert changed.status_code == 303
    client.cookies.clear()
    assert (await status(client, receipt))["state"] == "corroborated"
    page = await post_form(client, "/reports/follow-up", {"receipt": receipt})
    assert "Corroborated" in page.text


WRONG_RECEIPTS = [
    "abacus-abdomen-abdominal-abide-abiding-ability-ablaze-able",  # well formed, unknown
    "only three words",
    "x" * 5000,
    "",
    12345,
    None,
    ["a", "list"],
]


@pytest.mark.parametrize("wrong", WRONG_RECEIPTS)
async def test_wrong_receipts_get_one_clear_answer_and_change_nothing(client, wrong):
    await submit(client)
    before = await row_counts()
    api = await client.post("/api/v1/reports/status", json={"receipt": wrong})
    assert api.status_code == 404
    assert api.json()["error"]["code"] == "unknown_receipt"
    message = api.json()["error"]["message"]
    write = await client.post(
        "/api/v1/reports/messages", json={"receipt": wrong, "message": "hello"}
    )
    assert write.status_code == 404
    assert write.json()["error"]["message"] == message
    if isinstance(wrong, str) and len(wrong) < 1000:
        page = await post_form(client, "/reports/follow-up", {"receipt": wrong})
        assert page.status_code == 404
        assert "No report matches this receipt" in page.text
        reply = await post_form(
            client, "/reports/follow-up/reply", {"receipt": wrong, "message": "hello"}
        )
        assert reply.status_code == 404
    assert await row_counts() == before


async def test_malformed_and_unknown_receipts_read_the_same(client):
    await submit(client)
    unknown = await client.post(
        "/api/v1/reports/status",
        json={"receipt": "abacus-abdomen-abdominal-abide-abiding-ability-ablaze-able"},
    )
    malformed = await client.post("/api/v1/reports/status", json={"receipt": "one two"})
    assert unknown.json() == malformed.json()


@pytest.mark.parametrize(
    ("message", "code"),
    [("", "missing_field"), ("x" * 4001, "too_long"), (7, "invalid_field")],
)
async def test_bad_messages_are_refused_and_store_nothing(client, message, code):
    receipt = await submit(client)
    before = await row_counts()
    response = await client.post(
        "/api/v1/reports/messages", json={"receipt": receipt, "message": message}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == code
    assert await row_counts() == before
