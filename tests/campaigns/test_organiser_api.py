"""The organisers' JSON API for campaigns, as a script holding an API token uses it.

Each operation does what its page does (the same domain calls), refuses what the page refuses,
and a destructive one does nothing without `"confirm": true`. Who may reach which campaign is
walked over every route in tests/web/test_organiser_api_access.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from organise.campaigns.models import Campaign, CampaignState, InviteBatch, InviteCode, InviteMode
from organise.roles import Role
from tests.campaigns.conftest import (
    in_days,
    make_campaign,
    make_codes,
    pledge_key_names,
    pledge_rows,
    refreshed,
    sign,
    sign_with_new_codes,
    tick,
)
from tests.support import api_token_headers, campaign_owner, make_organiser, sign_in

API = "/api/v1/organiser/campaigns"
WALKOUT = f"{API}/walkout"
REFUSED_CODE = "This invite code is not valid or has already been used."


async def _owner_headers(app: Starlette) -> dict[str, str]:
    """The token of alex, the owner every campaign made by the test helpers gets."""
    await campaign_owner()
    return await api_token_headers(app, "alex")


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


def new_campaign(**overrides: Any) -> dict[str, Any]:
    """The body of a new campaign, as a script sends it (JSON types, not form text)."""
    return {
        "slug": "walkout",
        "title": "Walk out",
        "demand": "We refuse.",
        "employer": "Acme Cloud",
        "threshold": 3,
        "deadline": in_days(30).strftime("%Y-%m-%dT%H:%M"),
        "cooling_off_hours": 0,
        "audience": "organisers",
        "invite_mode": "invite",
        "onward_invites": 0,
        "progress_display": "exact",
        "gate_mode": "server",
        **overrides,
    }


# --- listing and creating ----------------------------------------------------------------------


async def test_a_token_creates_a_campaign_it_then_owns_and_finds_in_its_list(app, client):
    headers = await api_token_headers(app, "dana")
    created = await client.post(API, json=new_campaign(), headers=headers)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["campaign"]["owner"] == "dana"
    assert body["campaign"]["state"] == "open"
    assert body["gatekeeper_shares"] == []
    campaign = await Campaign.get(slug="walkout")
    assert campaign.threshold == 3
    assert campaign.invite_mode == InviteMode.INVITE
    # The public page exists at once.
    assert (await client.get("/api/v1/campaigns/walkout")).json()["title"] == "Walk out"

    listed = await client.get(API, headers=headers)
    assert [c["slug"] for c in listed.json()["campaigns"]] == ["walkout"]
    assert "waiting_for_owner" not in listed.json()  # administrators only
    other = await api_token_headers(app, "erin")
    assert (await client.get(API, headers=other)).json() == {"campaigns": []}


async def test_creating_follows_the_pages_rules_and_names_every_refused_field(app, client):
    headers = await api_token_headers(app, "dana")
    body = new_campaign(threshold="3", audience="everyone")
    del body["employer"]
    refused = await client.post(API, json=body, headers=headers)
    assert refused.status_code == 422
    assert set(_error(refused)["fields"]) == {"threshold", "audience", "employer"}
    past = await client.post(API, json=new_campaign(deadline="2001-01-01T00:00"), headers=headers)
    assert (past.status_code, _error(past)["code"]) == (422, "invalid_deadline")
    # One leaked code could reach the threshold alone: refused unless accepted, as on the page.
    risky = await client.post(API, json=new_campaign(onward_invites=2), headers=headers)
    assert _error(risky)["code"] == "chain_risk"
    assert not await Campaign.exists()
    assert (await client.post(API, json=new_campaign(), headers=headers)).status_code == 201
    taken = await client.post(API, json=new_campaign(), headers=headers)
    assert (taken.status_code, _error(taken)["code"]) == (409, "slug_taken")


async def test_paper_gatekeeper_shares_are_in_the_answer_once_and_stored_nowhere(app, client):
    headers = await api_token_headers(app, "dana")
    body = new_campaign(gate_mode="server_and_gatekeepers", gatekeepers=3, gatekeepers_required=2)
    created = await client.post(API, json=body, headers=headers)
    assert created.status_code == 201, created.text
    shares = created.json()["gatekeeper_shares"]
    assert len(shares) == 3
    detail = await client.get(WALKOUT, headers=headers)
    assert not any(share in detail.text for share in shares)
    links = new_campaign(
        slug="second",
        gate_mode="any_k_of_n",
        gatekeepers=2,
        gatekeepers_required=2,
        share_delivery="links",
    )
    linked = (await client.post(API, json=links, headers=headers)).json()
    assert linked["gatekeeper_shares"] == []
    assert len(linked["share_links"]) == 2
    assert all(link.startswith("http://testserver/shares/") for link in linked["share_links"])


async def test_an_admin_lists_campaigns_waiting_for_an_owner_by_name_only(app, client):
    campaign = (await make_campaign(app)).campaign
    await Campaign.filter(id=campaign.id).update(owner_id=None)
    admin = await api_token_headers(app, "sam")
    await make_organiser("sam", Role.ADMIN)
    listed = (await client.get(API, headers=admin)).json()
    assert listed["campaigns"] == []
    assert [c["slug"] for c in listed["waiting_for_owner"]] == ["walkout"]
    # Listed, never opened: an administrator off the team gets the campaign's 404.
    assert (await client.get(WALKOUT, headers=admin)).status_code == 404


# --- one campaign --------------------------------------------------------------------------------


async def test_the_team_sees_its_batches_and_log_but_never_a_count_of_codes(app, client):
    headers = await _owner_headers(app)
    minted = await client.post(
        f"{WALKOUT}/invites", json={"count": 0}, headers=headers
    )  # nothing yet: no campaign
    assert minted.status_code == 404
    await make_campaign(app)
    minted = await client.post(
        f"{WALKOUT}/invites", json={"count": 3, "batch": "Canteen"}, headers=headers
    )
    assert minted.status_code == 201, minted.text
    assert minted.json()["batch"] == "Canteen"
    codes = minted.json()["codes"]
    assert len(set(codes)) == 3
    assert (await sign(client, "walkout", codes[0], "Rosa")).status_code == 201

    detail = (await client.get(WALKOUT, headers=headers)).json()
    [batch] = detail["batches"]
    assert set(batch) == {"name", "week", "revoked"}
    assert datetime.fromisoformat(batch["week"]).weekday() == 0
    assert detail["owner"] == "alex"
    assert detail["editable"] is False
    assert [e["kind"] for e in detail["events"]] == ["created"]
    assert all(datetime.fromisoformat(e["week"]).weekday() == 0 for e in detail["events"])
    assert "Rosa" not in str(detail)


async def test_invite_counts_and_batch_names_keep_the_pages_limits(app, client):
    headers = await _owner_headers(app)
    await make_campaign(app)
    for body, field in (
        ({"count": 0}, "count"),
        ({"count": 501}, "count"),
        ({"count": "5"}, "count"),
        ({"count": 1, "batch": "x" * 101}, "batch"),
        ({"count": 1, "format": "csv"}, "format"),
    ):
        refused = await client.post(f"{WALKOUT}/invites", json=body, headers=headers)
        assert refused.status_code == 422, body
        assert field in _error(refused)["fields"], body
    assert (
        await client.post(f"{WALKOUT}/invites", json={"count": 1, "batch": "A"}, headers=headers)
    ).status_code == 201
    again = await client.post(
        f"{WALKOUT}/invites", json={"count": 1, "batch": "A"}, headers=headers
    )
    assert (again.status_code, _error(again)["code"]) == (409, "batch_exists")
    await make_campaign(app, slug="open", invite_mode=InviteMode.OPEN)
    open_ = await client.post(f"{API}/open/invites", json={"count": 1}, headers=headers)
    assert (open_.status_code, _error(open_)["code"]) == (409, "open_campaign")


# --- revoking ------------------------------------------------------------------------------------


async def test_revoked_codes_are_refused_and_the_answer_never_says_which_were_used(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    used, unused, kept = await make_codes(app, campaign, 3)
    assert (await sign(client, "walkout", used, "Rosa")).status_code == 201
    revoke = f"{WALKOUT}/invites/revoke"

    unconfirmed = await client.post(revoke, json={"codes": [unused]}, headers=headers)
    assert (unconfirmed.status_code, _error(unconfirmed)["code"]) == (422, "not_confirmed")
    assert "no longer be able to sign" in _error(unconfirmed)["fields"]["confirm"]
    # A list with one thing that is not a code at all revokes nothing.
    mixed = {"codes": [unused, "not a code"], "confirm": True}
    assert (await client.post(revoke, json=mixed, headers=headers)).status_code == 422
    assert (await sign(client, "walkout", unused, "Emma")).status_code == 201
    [unused] = await make_codes(app, campaign, 1)

    answers = [
        await client.post(revoke, json={"codes": [code], "confirm": True}, headers=headers)
        for code in (used, unused, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567")
    ]
    assert {(a.status_code, a.text) for a in answers} == {(200, '{"revoked":true}')}
    refused = await sign(client, "walkout", unused, "Lucy")
    assert (refused.status_code, _error(refused)["message"]) == (403, REFUSED_CODE)
    assert (await sign(client, "walkout", kept, "Lucy")).status_code == 201


async def test_revoking_a_batch_refuses_each_of_its_codes(app, client):
    headers = await _owner_headers(app)
    await make_campaign(app)
    minted = await client.post(
        f"{WALKOUT}/invites", json={"count": 2, "batch": "Night shift"}, headers=headers
    )
    codes = minted.json()["codes"]
    both = {"codes": codes, "batch": "Night shift", "confirm": True}
    refused = await client.post(f"{WALKOUT}/invites/revoke", json=both, headers=headers)
    assert (refused.status_code, _error(refused)["code"]) == (422, "one_of")
    unknown = {"batch": "Day shift", "confirm": True}
    missing = await client.post(f"{WALKOUT}/invites/revoke", json=unknown, headers=headers)
    assert (missing.status_code, _error(missing)["code"]) == (404, "no_batch")
    answer = await client.post(
        f"{WALKOUT}/invites/revoke", json={"batch": "Night shift", "confirm": True}, headers=headers
    )
    assert answer.json() == {"revoked": True, "batch": "Night shift"}
    for code in codes:
        assert (await sign(client, "walkout", code, "Emma")).status_code == 403
    assert (await InviteBatch.get(name="Night shift")).revoked


# --- stopping, extending -------------------------------------------------------------------------


async def test_stopping_needs_confirm_and_destroys_every_pledge_unread(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app, threshold=5)).campaign
    await sign_with_new_codes(app, client, campaign, 2)
    for body in ({}, {"confirm": False}, {"confirm": "yes"}):
        refused = await client.post(f"{WALKOUT}/stop", json=body, headers=headers)
        assert refused.status_code == 422, body
        assert "confirm" in _error(refused)["fields"]
    assert (await refreshed(campaign)).state == CampaignState.OPEN
    assert len(pledge_key_names(app, campaign)) == 2

    stopped = await client.post(f"{WALKOUT}/stop", json={"confirm": True}, headers=headers)
    assert stopped.status_code == 200, stopped.text
    body = stopped.json()
    assert (body["state"], body["stopped"], body["destroyed_unread"]) == ("expired", True, 2)
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []
    again = await client.post(f"{WALKOUT}/stop", json={"confirm": True}, headers=headers)
    assert (again.status_code, _error(again)["code"]) == (409, "campaign_closed")


async def test_a_revealed_campaign_cannot_be_stopped_through_the_api(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    assert (await tick(app)).revealed == 1
    refused = await client.post(f"{WALKOUT}/stop", json={"confirm": True}, headers=headers)
    assert refused.status_code == 409
    assert "can no longer be stopped" in _error(refused)["message"]
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


async def test_extending_moves_the_deadline_later_only(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app, deadline=in_days(10))).campaign
    soon = (datetime.now(UTC) + timedelta(hours=20)).isoformat(timespec="minutes")
    for deadline in (soon, in_days(5).isoformat(), "next friday", in_days(2000).isoformat()):
        refused = await client.post(
            f"{WALKOUT}/extend", json={"deadline": deadline}, headers=headers
        )
        assert refused.status_code == 422, deadline
        assert "deadline" in _error(refused)["fields"]
    assert (await refreshed(campaign)).deadline == campaign.deadline
    new = in_days(40).replace(second=0, microsecond=0)
    moved = await client.post(
        f"{WALKOUT}/extend", json={"deadline": new.isoformat()}, headers=headers
    )
    assert moved.status_code == 200, moved.text
    assert datetime.fromisoformat(moved.json()["deadline"]) == new
    assert datetime.fromisoformat(moved.json()["deadline_moved_from"]) == campaign.deadline
    assert "deadline_extended" in [e["kind"] for e in moved.json()["events"]]


# --- changing the campaign ----------------------------------------------------------------------


async def test_the_wording_changes_only_before_the_first_pledge(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    changed = await client.patch(WALKOUT, json={"title": "Walk out, now"}, headers=headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["title"] == "Walk out, now"
    assert changed.json()["demand"] == campaign.demand  # left as it was
    empty = await client.patch(WALKOUT, json={"demand": "  "}, headers=headers)
    assert (empty.status_code, list(_error(empty)["fields"])) == (422, ["demand"])

    await sign_with_new_codes(app, client, campaign, 1)
    fixed = await client.patch(WALKOUT, json={"demand": "Something else"}, headers=headers)
    assert (fixed.status_code, _error(fixed)["code"]) == (409, "terms_fixed")
    assert "start a new campaign" in _error(fixed)["message"]
    assert (await refreshed(campaign)).demand == campaign.demand


async def test_what_never_changes_is_refused_by_name(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    for field, value in (("threshold", 2), ("audience", "public"), ("gate_mode", "any_k_of_n")):
        refused = await client.patch(WALKOUT, json={field: value}, headers=headers)
        assert refused.status_code == 422, field
        assert (_error(refused)["code"], list(_error(refused)["fields"])) == (
            "not_changeable",
            [field],
        )
        assert "start a new campaign" in _error(refused)["message"]
    deadline = await client.patch(
        WALKOUT, json={"deadline": in_days(50).isoformat()}, headers=headers
    )
    assert "/extend" in _error(deadline)["message"]
    unknown = await client.patch(WALKOUT, json={"colour": "red"}, headers=headers)
    assert (unknown.status_code, _error(unknown)["code"]) == (422, "unknown_field")
    nothing = await client.patch(WALKOUT, json={}, headers=headers)
    assert (nothing.status_code, _error(nothing)["code"]) == (422, "nothing_to_change")
    assert (await refreshed(campaign)).threshold == 3


async def test_only_a_finished_campaign_is_archived_and_it_leaves_the_list(app, client):
    headers = await _owner_headers(app)
    await make_campaign(app)
    early = await client.patch(WALKOUT, json={"archived": True}, headers=headers)
    assert (early.status_code, _error(early)["code"]) == (409, "campaign_not_finished")
    both = await client.patch(WALKOUT, json={"archived": True, "title": "T"}, headers=headers)
    assert both.status_code == 422
    assert (
        await client.post(f"{WALKOUT}/stop", json={"confirm": True}, headers=headers)
    ).is_success
    archived = await client.patch(WALKOUT, json={"archived": True}, headers=headers)
    assert archived.json()["archived"] is True
    [listed] = (await client.get(API, headers=headers)).json()["campaigns"]
    assert listed["archived"] is True
    assert "walkout" not in (await client.get("/campaigns/")).text
    back = await client.patch(WALKOUT, json={"archived": False}, headers=headers)
    assert back.json()["archived"] is False


# --- the team ------------------------------------------------------------------------------------


async def test_the_owner_adds_and_removes_a_co_organiser_who_then_sees_the_campaign(app, client):
    owner = await _owner_headers(app)
    await make_campaign(app)
    erin = await api_token_headers(app, "erin")
    assert (await client.get(WALKOUT, headers=erin)).status_code == 404

    added = await client.post(f"{WALKOUT}/team", json={"add": "erin"}, headers=owner)
    assert added.json() == {"owner": "alex", "members": ["erin"]}
    assert (await client.get(WALKOUT, headers=erin)).status_code == 200
    # A co-organiser runs the campaign but does not change its team.
    own = await client.post(f"{WALKOUT}/team", json={"add": "erin"}, headers=erin)
    assert (own.status_code, _error(own)["code"]) == (403, "not_owner")
    again = await client.post(f"{WALKOUT}/team", json={"add": "erin"}, headers=owner)
    assert (again.status_code, list(_error(again)["fields"])) == (409, ["add"])
    nobody = await client.post(f"{WALKOUT}/team", json={"add": "zed"}, headers=owner)
    assert (nobody.status_code, _error(nobody)["code"]) == (422, "unknown_account")
    assert list(_error(nobody)["fields"]) == ["add"]
    both = await client.post(f"{WALKOUT}/team", json={"add": "a", "remove": "b"}, headers=owner)
    assert (both.status_code, _error(both)["code"]) == (422, "one_of")

    removed = await client.post(f"{WALKOUT}/team", json={"remove": "erin"}, headers=owner)
    assert removed.json() == {"owner": "alex", "members": []}
    assert (await client.get(WALKOUT, headers=erin)).status_code == 404
    owner_out = await client.post(f"{WALKOUT}/team", json={"remove": "alex"}, headers=owner)
    assert (owner_out.status_code, list(_error(owner_out)["fields"])) == (409, ["remove"])


# --- what needs a private key ------------------------------------------------------------------


async def test_revealed_pledges_need_a_browser_session_and_a_token_is_told_to_use_the_page(
    app, client
):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, ["Rosa", "Emma", "Lucy"], team="Ops")
    assert (await tick(app)).revealed == 1
    refused = await client.get(f"{WALKOUT}/pledges", headers=headers)
    assert (refused.status_code, _error(refused)["code"]) == (403, "needs_session")
    assert "/organisers/campaigns/walkout/pledges" in _error(refused)["message"]
    assert "Rosa" not in refused.text

    await sign_in(client, "alex")
    read = await client.get(f"{WALKOUT}/pledges")
    assert read.status_code == 200, read.text
    pledges = read.json()["pledges"]
    assert sorted(p["name"] for p in pledges) == ["Emma", "Lucy", "Rosa"]
    assert {p["team"] for p in pledges} == {"Ops"}


async def test_pledges_not_yet_revealed_are_refused_to_the_team_too(app, client):
    await make_campaign(app)
    await sign_in(client, "alex")
    sealed = await client.get(f"{WALKOUT}/pledges")
    assert (sealed.status_code, _error(sealed)["code"]) == (409, "not_revealed")


# --- sent again with an Idempotency-Key ------------------------------------------------------


async def test_a_campaign_sent_again_with_its_key_shows_the_same_shares_and_makes_nothing(
    app, client
):
    headers = await api_token_headers(app, "dana")
    keyed = headers | {"Idempotency-Key": "k" * 32}
    body = new_campaign(gate_mode="server_and_gatekeepers", gatekeepers=3, gatekeepers_required=2)
    first = await client.post(API, json=body, headers=keyed)
    again = await client.post(API, json=body, headers=keyed)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json()["gatekeeper_shares"] == first.json()["gatekeeper_shares"]
    assert await Campaign.all().count() == 1
    changed = await client.post(API, json=new_campaign(slug="other"), headers=keyed)
    assert (changed.status_code, _error(changed)["code"]) == (422, "idempotency_key_reused")
    # Another account with the same key and body is another request: never the first's shares.
    erin = await api_token_headers(app, "erin") | {"Idempotency-Key": "k" * 32}
    theirs = await client.post(API, json=body, headers=erin)
    assert (theirs.status_code, _error(theirs)["code"]) == (422, "idempotency_key_reused")
    assert not any(share in theirs.text for share in first.json()["gatekeeper_shares"])
    assert await Campaign.all().count() == 1


async def test_codes_minted_again_with_their_key_are_the_same_codes(app, client):
    headers = await _owner_headers(app)
    campaign = (await make_campaign(app)).campaign
    keyed = headers | {"Idempotency-Key": "m" * 40}
    first = await client.post(f"{WALKOUT}/invites", json={"count": 2}, headers=keyed)
    again = await client.post(f"{WALKOUT}/invites", json={"count": 2}, headers=keyed)
    assert again.json()["codes"] == first.json()["codes"]
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 2
    more = await client.post(f"{WALKOUT}/invites", json={"count": 3}, headers=keyed)
    assert (more.status_code, _error(more)["code"]) == (422, "idempotency_key_reused")
    bad = headers | {"Idempotency-Key": "short"}
    malformed = await client.post(f"{WALKOUT}/invites", json={"count": 1}, headers=bad)
    assert (malformed.status_code, _error(malformed)["code"]) == (400, "invalid_idempotency_key")
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 2
