"""What the reports put on the account page's list: the review queue, reporters' messages waiting
for an answer, and reviewers waiting for the inbox key; to reviewers and admins alone."""

from __future__ import annotations

from organise.reports.models import InboxGrant, Report
from organise.roles import Role
from tests.reports.helpers import reviewer, set_state, submit, switch_to
from tests.support import attention_lines, kinds_of, make_organiser, post_form


async def test_new_reports_are_listed_for_reviewers_until_reviewed(app, client):
    await reviewer(client, "robin")  # the first reviewer: holds the inbox key
    await make_organiser("alex", Role.ORGANISER)
    await make_organiser("ada", Role.ADMIN)
    assert await attention_lines(client) == []
    await submit(client)
    await submit(client)

    [line] = await attention_lines(client)
    assert line.kind == "reports.new"
    assert line.text.startswith("2 reports wait for review.")
    assert line.href == "/organisers/reports/"
    assert await kinds_of(app, "ada") == ["reports.new"]
    assert await kinds_of(app, "alex") == []  # an organiser does not review reports

    first, second = await Report.all()
    assert (await set_state(client, first, "verified")).status_code == 303
    assert (await attention_lines(client))[0].text.startswith("1 report waits for review.")
    assert (await set_state(client, second, "rejected")).status_code == 303
    assert await attention_lines(client) == []


async def test_a_reporter_message_waits_until_a_reviewer_answers_it(app, client):
    await reviewer(client, "robin")
    receipt = await submit(client)
    report = await Report.get()
    assert (await set_state(client, report, "corroborated")).status_code == 303
    await make_organiser("sam", Role.REVIEWER)  # no inbox key yet: cannot read or answer
    await make_organiser("alex", Role.ORGANISER)

    client.cookies.clear()  # the reporter has no session
    sent = await client.post(
        "/api/v1/reports/messages", json={"receipt": receipt, "message": "One more thing."}
    )
    assert sent.status_code == 201, sent.text

    await switch_to(client, "robin")
    lines = [line for line in await attention_lines(client) if line.kind == "reports.message"]
    assert [line.href for line in lines] == [f"/organisers/reports/{report.id}"]
    assert "Examplecorp" in lines[0].text
    assert "reports.message" not in await kinds_of(app, "sam")
    assert await kinds_of(app, "alex") == []

    answered = await post_form(
        client, f"/organisers/reports/{report.id}/reply", {"message": "Thank you."}
    )
    assert answered.status_code == 303
    assert "reports.message" not in [line.kind for line in await attention_lines(client)]


async def test_a_reviewer_waiting_for_the_inbox_key_is_listed_for_those_who_hold_it(app, client):
    await reviewer(client, "robin")  # holds the key
    await submit(client)  # the inbox exists
    await make_organiser("sam", Role.REVIEWER)

    waiting = [
        line for line in await attention_lines(client) if line.kind == "reports.inbox_access"
    ]
    assert [(line.text, line.href) for line in waiting] == [
        (
            "sam waits for access to the report inbox, which you hold.",
            "/organisers/reports/access",
        )
    ]
    # Not for sam (it cannot give what it lacks), nor for an organiser.
    assert "reports.inbox_access" not in await kinds_of(app, "sam")
    await make_organiser("alex", Role.ORGANISER)
    assert await kinds_of(app, "alex") == []

    granted = await post_form(client, "/organisers/reports/access", {"username": "sam"})
    assert granted.status_code == 303
    assert await InboxGrant.exists(organiser__username="sam")
    assert "reports.inbox_access" not in [line.kind for line in await attention_lines(client)]
