"""Reviewers: access by role, opening details with their own key, states, merging, access."""

from __future__ import annotations

import threading
import uuid

import pytest

from crypto.keystore import Keystore
from organise.organisers.models import Organiser
from organise.reports import inbox
from organise.reports.models import InboxGrant, Report, ReportInbox, ReviewState
from organise.roles import Role
from organise.weeks import this_week
from tests.reports.helpers import merge, reviewer, set_state, submit, switch_to
from tests.support import make_organiser, post_form


async def test_only_reviewers_and_admins_see_the_review_pages(client):
    await submit(client)
    report = await Report.get()
    signed_out = await client.get("/organisers/reports/")
    assert signed_out.status_code == 303
    await reviewer(client, "olive", Role.ORGANISER)
    assert (await client.get("/organisers/reports/")).status_code == 403
    assert (await client.get(f"/organisers/reports/{report.id}")).status_code == 403
    await reviewer(client, "ada", Role.ADMIN)
    assert (await client.get("/organisers/reports/")).status_code == 200


async def test_reviewer_opens_details_with_their_own_key(client):
    await reviewer(client)
    await submit(client, details="The matcher runs on our cloud for the county.")
    report = await Report.get()
    queue = await client.get("/organisers/reports/")
    assert str(report.id) in queue.text
    page = await client.get(f"/organisers/reports/{report.id}")
    assert page.status_code == 200
    assert "The matcher runs on our cloud for the county." in page.text


async def test_a_new_reviewer_needs_access_from_one_who_has_it(client):
    await reviewer(client, "robin")
    await submit(client, details="Only granted reviewers read this.")
    report = await Report.get()
    await make_organiser("sam", Role.REVIEWER)  # created after the inbox key was sealed
    await switch_to(client, "sam")
    page = await client.get(f"/organisers/reports/{report.id}")
    assert "Only granted reviewers read this." not in page.text
    assert "do not have access" in page.text
    refused = await post_form(client, "/organisers/reports/access", {"username": "sam"})
    assert refused.status_code == 403

    await switch_to(client, "robin")
    access = await client.get("/organisers/reports/access")
    assert "sam" in access.text
    granted = await post_form(client, "/organisers/reports/access", {"username": "sam"})
    assert granted.status_code == 303
    assert await InboxGrant.all().count() == 2

    await switch_to(client, "sam")
    page = await client.get(f"/organisers/reports/{report.id}")
    assert "Only granted reviewers read this." in page.text


async def test_queue_orders_by_week_then_random_id(client):
    await reviewer(client)
    for _ in range(4):
        await submit(client)
    older = await Report.all().first()
    older.week = this_week().replace(year=this_week().year - 1)
    await older.save()
    reports = await Report.all()
    newest_week = sorted((r for r in reports if r.week == this_week()), key=lambda r: str(r.id))
    page = (await client.get("/organisers/reports/")).text
    positions = [page.index(str(r.id)) for r in [*newest_week, older]]
    assert positions == sorted(positions)


async def test_states_can_be_set_but_not_to_published_by_hand(client):
    await reviewer(client)
    await submit(client)
    report = await Report.get()
    for state in ("corroborated", "verified", "rejected", "new"):
        response = await set_state(client, report, state)
        assert response.status_code == 303
        assert (await Report.get()).state == ReviewState(state)
    # The API's rule and answer (422): "published" comes only from publication.
    for state, said in [
        ("published", "Unknown review state."),
        ("x", "Unknown review state."),
        ("", "Review state is required."),
    ]:
        refused = await set_state(client, report, state)
        assert refused.status_code == 422
        assert said in refused.text
        assert (await Report.get()).state == ReviewState.NEW


async def test_merging_folds_reports_and_their_followers(client):
    await reviewer(client)
    receipts = [await submit(client) for _ in range(3)]
    a, b, c = sorted(await Report.all(), key=lambda r: str(r.id))
    assert (await merge(client, c, b)).status_code == 303
    assert (await merge(client, b, a)).status_code == 303
    assert {r.merged_into_id for r in await Report.filter(id__in=[b.id, c.id])} == {a.id}
    queue = await client.get("/organisers/reports/")
    assert str(a.id) in queue.text
    assert str(b.id) not in queue.text
    itself = await merge(client, a, a)
    assert itself.status_code == 400
    missing = await post_form(
        client, f"/organisers/reports/{a.id}/merge", {"into": str(uuid.uuid4())}
    )
    assert missing.status_code == 404
    client.cookies.clear()
    answers = [
        (await client.post("/api/v1/reports/status", json={"receipt": r})).json() for r in receipts
    ]
    # Each reporter sees their own report only: nothing says it was merged.
    assert all("merged" not in answer for answer in answers)
    assert [answer["state"] for answer in answers] == ["new", "new", "new"]


async def test_reporter_links_are_shown_as_text_to_reviewers(client, monkeypatch):
    monkeypatch.setenv("ORGANISE_PUBLISH_APPROVALS", "2")
    await reviewer(client)
    tracker = "https://tracker.example/u/7f3a9c"
    await submit(client, sources=[tracker])
    report = await Report.get()
    page = await client.get(f"/organisers/reports/{report.id}")
    assert tracker in page.text
    assert f'href="{tracker}"' not in page.text
    assert "Tor Browser" in page.text
    draft = {
        "employer": "Examplecorp",
        "agency": "Springfield Police Department",
        "technologies": ["face-recognition"],
        "status": "rumoured",
        "sources": tracker,
        "summary": "Examplecorp sells face recognition to Springfield.",
    }
    proposed = await post_form(client, f"/organisers/reports/{report.id}/propose", draft)
    assert proposed.status_code == 303
    listing = await client.get("/organisers/reports/proposals")
    assert tracker in listing.text
    assert f'href="{tracker}"' not in listing.text


async def test_demoted_reviewers_lose_their_inbox_grant(client):
    await make_organiser("sam", Role.REVIEWER)
    await reviewer(client, "robin")
    await submit(client, details="Only current reviewers read this.")
    assert await InboxGrant.all().count() == 2
    await Organiser.filter(username="sam").update(role=Role.ORGANISER)
    await submit(client)  # the next report (or reviewer visit) tidies the grants
    holders = await InboxGrant.all().prefetch_related("organiser")
    assert [grant.organiser.username for grant in holders] == ["robin"]
    report = (await Report.all())[0]
    page = await client.get(f"/organisers/reports/{report.id}")
    assert page.status_code == 200


async def test_the_last_holders_keep_their_grants_when_demoted(client):
    await reviewer(client, "robin")
    await submit(client)
    await Organiser.filter(username="robin").update(role=Role.ORGANISER)
    await submit(client)
    # Nobody current holds the key: dropping robin's grant would make every report unreadable.
    assert await InboxGrant.all().count() == 1


class _FailingKeystore:
    """The real keystore, but the request fails right after the key is put (as if the
    database transaction failed at that moment); records which threads touched it."""

    def __init__(self, real: Keystore) -> None:
        self.real = real
        self.threads: set[int] = set()

    def put(self, name: str, value: bytes) -> None:
        self.threads.add(threading.get_ident())
        self.real.put(name, value)
        raise RuntimeError("the transaction failed after the key was stored")

    def delete(self, name: str) -> bool:
        self.threads.add(threading.get_ident())
        return self.real.delete(name)

    def get(self, name: str) -> bytes | None:
        self.threads.add(threading.get_ident())
        return self.real.get(name)


async def test_a_failed_inbox_creation_leaves_no_key_in_the_keystore(client, app):
    keystore = _FailingKeystore(app.state.runtime.keystore)
    with pytest.raises(RuntimeError):
        await inbox.ensure_inbox(keystore)  # type: ignore[arg-type]
    assert await ReportInbox.all().count() == 0
    assert [n for n in app.state.runtime.keystore.names("reports/inbox/")] == []
    # The keystore (SQLite, with a busy timeout) is used off the event loop's thread.
    assert keystore.threads
    assert threading.get_ident() not in keystore.threads
