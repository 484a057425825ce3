"""/api/v1/organiser/accounts: admins manage accounts by script, as on the accounts page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from crypto.gate import GatePolicy
from organise.app import document
from organise.campaigns.setup import ShareDelivery
from organise.organisers import enrolment
from organise.organisers.models import (
    AuditAction,
    AuditEntry,
    EnrolmentCode,
    Organiser,
)
from organise.reports.models import InboxGrant
from organise.roles import Role
from organise.submissions import once
from organise.weeks import this_week
from tests.campaigns.conftest import make_campaign
from tests.support import api_token_headers, make_organiser, sign_in

ACCOUNTS = "/api/v1/organiser/accounts"
NEW_PASSPHRASE = "harbour kettle meadow quartz"
KEY = "k" * 40


async def _admin(app) -> dict[str, str]:
    return await api_token_headers(app, "root", Role.ADMIN)


async def _post(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    path: str,
    body: Any = None,
    *,
    key: str | None = None,
) -> httpx.Response:
    sent = dict(headers)
    if key is not None:
        sent["Idempotency-Key"] = key
    if body is None:
        return await client.post(f"{ACCOUNTS}/{path}", headers=sent)
    return await client.post(f"{ACCOUNTS}/{path}", json=body, headers=sent)


async def _audit(subject: str) -> list[tuple[str, str, str]]:
    """The audit lines of changes to the account `subject` (its creation left out)."""
    entries = await AuditEntry.filter(subject=subject).exclude(action=AuditAction.CREATED)
    return sorted((entry.actor, entry.action.value, entry.detail) for entry in entries)


async def test_an_admin_lists_every_account_with_what_the_page_shows(app, client):
    headers = await _admin(app)
    await make_campaign(app, owner="kim")
    await make_organiser("robin", Role.REVIEWER)
    assert (await sign_in(client, "robin")).status_code == 303

    response = await client.get(ACCOUNTS, headers=headers)

    assert response.status_code == 200
    rows = {row["username"]: row for row in response.json()["accounts"]}
    assert list(rows) == ["kim", "robin", "root"]  # by name
    week = this_week().isoformat()
    assert rows["kim"] == {
        "username": "kim",
        "role": "organiser",
        "created_week": week,
        "last_sign_in_week": None,
        "two_step": False,
        "enrolled": True,
        "disabled": False,
        "campaigns": ["walkout"],
        "surveys": [],
    }
    assert rows["robin"]["last_sign_in_week"] == week
    assert rows["robin"]["role"] == "reviewer"
    assert rows["robin"]["campaigns"] == []


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.REVIEWER, Role.GATEKEEPER])
async def test_only_admins_reach_the_accounts_api_and_nothing_changes(app, client, role):
    await _admin(app)
    headers = await api_token_headers(app, "kim", role)
    await make_organiser("lee")
    assert (await client.get(ACCOUNTS, headers=headers)).status_code == 403
    for path, body in [
        ("lee/disable", None),
        ("lee/enable", None),
        ("lee/remove", {"confirm": True}),
        ("lee/reset", None),
        ("lee/role", {"role": "admin"}),
        ("kim/role", {"role": "admin"}),  # not even for itself
    ]:
        refused = await _post(client, headers, path, body)
        assert refused.status_code == 403, path
        assert refused.json()["error"]["code"] == "forbidden"
    lee = await Organiser.get(username="lee")
    assert (lee.role, lee.disabled) == (Role.ORGANISER, False)
    assert (await Organiser.get(username="kim")).role == role
    assert not await EnrolmentCode.filter(organiser_id=lee.id).exists()
    assert await _audit("lee") == []
    assert await _audit("kim") == []


async def test_no_token_or_a_wrong_one_gets_401(app, client):
    await _admin(app)
    assert (await client.get(ACCOUNTS)).status_code == 401
    wrong = {"Authorization": "Bearer not-a-token"}
    refused = await client.post(f"{ACCOUNTS}/root/disable", headers=wrong)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"


@pytest.mark.parametrize("operation", ["disable", "enable", "remove", "reset", "role"])
async def test_an_unknown_account_is_404_for_every_operation(app, client, operation):
    headers = await _admin(app)
    body = {"remove": {"confirm": True}, "role": {"role": "reviewer"}}.get(operation)
    response = await _post(client, headers, f"nobody/{operation}", body)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_account"
    assert not await AuditEntry.exclude(action=AuditAction.CREATED).exists()


async def test_a_disabled_account_s_token_gets_401_at_once_and_enabling_keeps_its_team(app, client):
    headers = await _admin(app)
    await make_campaign(app, owner="kim")
    kim = await api_token_headers(app, "kim", Role.REVIEWER)
    assert (await client.get("/api/v1/organiser/reports", headers=kim)).status_code == 200

    disabled = await _post(client, headers, "kim/disable")

    assert disabled.status_code == 200
    assert disabled.json()["account"]["disabled"] is True
    refused = await client.get("/api/v1/organiser/reports", headers=kim)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_token"
    again = await _post(client, headers, "kim/disable")
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_disabled"

    enabled = await _post(client, headers, "kim/enable")
    assert enabled.status_code == 200
    assert enabled.json()["account"] == {
        **enabled.json()["account"],
        "disabled": False,
        "campaigns": ["walkout"],  # its key did not change: its team places count again
    }
    # Its tokens ended with the disabling: enabling does not bring them back.
    assert (await client.get("/api/v1/organiser/reports", headers=kim)).status_code == 401
    assert await _audit("kim") == [("root", "disabled", ""), ("root", "enabled", "")]


async def test_the_last_admin_is_neither_disabled_nor_removed_nor_demoted(app, client):
    headers = await _admin(app)
    for path, body, code in [
        ("root/disable", None, "last_admin"),
        ("root/role", {"role": "organiser"}, "last_admin"),
        ("root/remove", {"confirm": True}, "own_account"),
    ]:
        refused = await _post(client, headers, path, body)
        assert refused.status_code == 409, path
        assert refused.json()["error"]["code"] == code
    await api_token_headers(app, "ash", Role.ADMIN)
    await make_organiser("lee", Role.ADMIN)
    await _post(client, headers, "lee/disable")
    # root and ash remain; ash is removed, root then is the last enabled admin.
    assert (await _post(client, headers, "ash/remove", {"confirm": True})).status_code == 200
    refused = await _post(client, headers, "root/disable")
    assert refused.json()["error"]["code"] == "last_admin"
    root = await Organiser.get(username="root")
    assert (root.role, root.disabled) == (Role.ADMIN, False)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (None, 415),  # no JSON body at all
        ({}, 400),  # confirm missing: not confirmed
        ({"confirm": False}, 400),
        ({"confirm": "yes"}, 422),
        ({"confirm": True, "also": 1}, 422),
    ],
)
async def test_removal_needs_confirm_true_and_stores_nothing_otherwise(app, client, body, status):
    headers = await _admin(app)
    await make_organiser("lee")
    refused = await _post(client, headers, "lee/remove", body)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["message"]
    assert await Organiser.exists(username="lee")
    assert await _audit("lee") == []


async def test_an_unconfirmed_removal_tells_the_api_client_what_to_send(app, client):
    headers = await _admin(app)
    await make_organiser("lee")
    refused = await _post(client, headers, "lee/remove", {"confirm": False})
    error = refused.json()["error"]
    assert (refused.status_code, error["code"]) == (400, "not_confirmed")
    assert '"confirm": true is required' in error["fields"]["confirm"]
    assert "Tick the box" not in refused.text
    assert await Organiser.exists(username="lee")


async def test_removing_an_account_deletes_it_and_audits_it(app, client):
    headers = await _admin(app)
    await make_campaign(app, owner="kim")
    lee = await api_token_headers(app, "lee")
    removed = await _post(client, headers, "lee/remove", {"confirm": True})
    assert removed.status_code == 200
    assert removed.json() == {"username": "lee", "removed": True}
    assert not await Organiser.exists(username="lee")
    assert (await client.get(ACCOUNTS, headers=lee)).status_code == 401
    assert await _audit("lee") == [("root", "removed", "")]
    gone = await _post(client, headers, "lee/remove", {"confirm": True})
    assert gone.status_code == 404


async def test_a_reset_answers_its_code_once_and_the_code_works(app, client):
    headers = await _admin(app)
    await make_organiser("kim")

    issued = await _post(client, headers, "kim/reset", key=KEY)

    assert issued.status_code == 200
    answer = issued.json()
    assert answer["username"] == "kim"
    assert answer["valid_hours"] == 24
    assert issued.headers["cache-control"] == "no-store"
    # Sent again with the same key (a script's retry): refused, the code is not shown again,
    # and the first code still stands.
    again = await _post(client, headers, "kim/reset", key=KEY)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "reset_already_issued"
    assert answer["code"] not in again.text
    assert await _audit("kim") == [("root", "reset_issued", "")]
    assert await EnrolmentCode.filter(organiser__username="kim").count() == 1
    # The key's record keeps the account's name, never the code.
    root = await Organiser.get(username="root")
    record = await once.prepare(
        KEY,
        once.content("account-reset", {"username": "kim", "by": str(root.id)}),
        keystore=app.state.runtime.keystore,
        now=datetime.now(UTC),
    )
    earlier = await record.find()
    assert earlier is not None
    assert earlier.outcome == {"username": "kim"}

    redeemed = await enrolment.redeem(
        enrolment.Enrolment(answer["code"], "kim", NEW_PASSPHRASE, NEW_PASSPHRASE),
        pepper=app.state.runtime.code_pepper,
    )
    assert redeemed.username == "kim"
    assert (await sign_in(client, "kim", NEW_PASSPHRASE)).status_code == 303


async def test_a_reset_of_an_account_not_enrolled_is_refused(app, client):
    headers = await _admin(app)
    await enrolment.create_pending("newbie", Role.ORGANISER, pepper=app.state.runtime.code_pepper)
    refused = await _post(client, headers, "newbie/reset")
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "not_enrolled"
    assert await _audit("newbie") == []


async def test_a_role_change_is_audited_and_the_inbox_grant_waits_for_a_holder(app, client):
    headers = await _admin(app)
    await make_organiser("kim")

    changed = await _post(client, headers, "kim/role", {"role": "reviewer"})

    assert changed.status_code == 200
    assert changed.json()["account"]["role"] == "reviewer"
    # An API token holds no private key, so it cannot seal the inbox key to kim.
    assert changed.json()["inbox"] == "pending"
    kim = await Organiser.get(username="kim")
    assert kim.role == Role.REVIEWER
    assert not await InboxGrant.filter(organiser_id=kim.id).exists()
    assert await _audit("kim") == [("root", "role_changed", "organiser -> reviewer")]
    back = await _post(client, headers, "kim/role", {"role": "organiser"})
    assert back.json()["inbox"] == "none"
    same = await _post(client, headers, "kim/role", {"role": "organiser"})
    assert same.status_code == 409
    assert same.json()["error"]["code"] == "same_role"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"role": "gatekeeper"}, 422),
        ({"role": "wizard"}, 422),
        ({"role": ""}, 422),
        ({"role": 3}, 422),
        ({}, 422),
        ({"role": "admin", "username": "root"}, 422),
        ([], 400),
    ],
)
async def test_bad_role_changes_are_refused_and_change_nothing(app, client, body, status):
    headers = await _admin(app)
    await make_organiser("kim")
    refused = await _post(client, headers, "kim/role", body)
    assert refused.status_code == status, refused.text
    assert refused.json()["error"]["message"]
    assert (await Organiser.get(username="kim")).role == Role.ORGANISER
    assert await _audit("kim") == []


async def test_malformed_bodies_get_a_readable_4xx(app, client):
    headers = await _admin(app)
    await make_organiser("kim")
    sent = {**headers, "Content-Type": "application/json"}
    for path, content, status in [
        ("kim/role", b"{not json", 400),
        ("kim/role", b"\xff\xfe", 400),
        ("kim/disable", b'{"why": "because"}', 422),
        ("kim/disable", b"[1]", 400),
    ]:
        refused = await client.post(f"{ACCOUNTS}/{path}", content=content, headers=sent)
        assert refused.status_code == status, (path, content)
        assert refused.json()["error"]["message"]
    plain = await client.post(
        f"{ACCOUNTS}/kim/role",
        content=b"role=admin",
        headers={**headers, "Content-Type": "text/plain"},
    )
    assert plain.status_code == 415
    kim = await Organiser.get(username="kim")
    assert (kim.role, kim.disabled) == (Role.ORGANISER, False)
    assert await _audit("kim") == []


async def test_an_idempotency_key_makes_a_change_safe_to_send_again(app, client):
    headers = await _admin(app)
    await make_organiser("kim")

    first = await _post(client, headers, "kim/disable", key=KEY)
    again = await _post(client, headers, "kim/disable", key=KEY)

    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert await _audit("kim") == [("root", "disabled", "")]
    # The same key for another request is refused, and that request does nothing.
    reused = await _post(client, headers, "kim/enable", key=KEY)
    assert reused.status_code == 422
    assert reused.json()["error"]["code"] == "idempotency_key_reused"
    assert (await Organiser.get(username="kim")).disabled
    bad_key = await _post(client, headers, "kim/enable", key="short")
    assert bad_key.status_code == 400
    assert (await Organiser.get(username="kim")).disabled

    role = await _post(client, headers, "kim/role", {"role": "reviewer"}, key="r" * 40)
    role_again = await _post(client, headers, "kim/role", {"role": "reviewer"}, key="r" * 40)
    assert role.status_code == role_again.status_code == 200
    other_role = await _post(client, headers, "kim/role", {"role": "admin"}, key="r" * 40)
    assert other_role.status_code == 422
    assert (await Organiser.get(username="kim")).role == Role.REVIEWER
    assert [a for _actor, a, _d in await _audit("kim")] == ["disabled", "role_changed"]


async def test_a_gatekeeper_of_an_unfinished_campaign_is_refused_through_the_api(app, client):
    headers = await _admin(app)
    await make_organiser("gk", Role.GATEKEEPER)
    await make_campaign(
        app,
        owner="kim",
        gate=GatePolicy("server_and_gatekeepers", 1, 1),
        delivery=ShareDelivery(gatekeeper_accounts=("gk",)),
    )
    for path, body in [("gk/disable", None), ("gk/remove", {"confirm": True}), ("gk/reset", None)]:
        refused = await _post(client, headers, path, body)
        assert refused.status_code == 409, path
        assert refused.json()["error"]["code"] == "gatekeeper_of_unfinished_campaign"
    gk = await Organiser.get(username="gk")
    assert not gk.disabled
    assert await _audit("gk") == []


async def test_every_audit_line_names_the_admin_and_only_the_week(app, client):
    headers = await _admin(app)
    await make_organiser("kim")
    await _post(client, headers, "kim/disable")
    await _post(client, headers, "kim/enable")
    await _post(client, headers, "kim/reset")
    await _post(client, headers, "kim/role", {"role": "reviewer"})
    entries = await AuditEntry.filter(subject="kim").exclude(action=AuditAction.CREATED)
    assert {entry.action for entry in entries} == {
        AuditAction.DISABLED,
        AuditAction.ENABLED,
        AuditAction.RESET_ISSUED,
        AuditAction.ROLE_CHANGED,
    }
    assert {entry.actor for entry in entries} == {"root"}
    assert {entry.week for entry in entries} == {this_week()}


def test_the_openapi_document_publishes_the_accounts_api_s_constraints():
    paths, schemas = document()["paths"], document()["components"]["schemas"]
    listed = paths[ACCOUNTS]["get"]
    assert listed["security"] == [{"bearerToken": []}, {"sessionCookie": []}]
    assert {"401", "403"} <= set(listed["responses"])
    account = schemas["Account"]
    assert account["properties"]["role"]["enum"] == ["admin", "organiser", "reviewer", "gatekeeper"]
    assert account["properties"]["last_sign_in_week"]["nullable"] is True
    for operation in ("disable", "enable", "remove", "reset", "role"):
        post = paths[f"{ACCOUNTS}/{{username}}/{operation}"]["post"]
        [username] = [p for p in post["parameters"] if p["in"] == "path"]
        assert username["schema"] == {"type": "string", "minLength": 1, "maxLength": 64}
        assert "Idempotency-Key" in {p["name"] for p in post["parameters"]}
        assert {"403", "404", "409"} <= set(post["responses"])
    role = schemas["RoleChange"]
    assert role["required"] == ["role"]
    assert role["properties"]["role"]["enum"] == ["admin", "organiser", "reviewer"]
    assert role["additionalProperties"] is False
    removal = schemas["AccountRemoval"]
    assert removal["required"] == ["confirm"]
    assert removal["properties"]["confirm"]["type"] == "boolean"
    reset = schemas["AccountReset"]["properties"]
    assert reset["valid_hours"]["enum"] == [24]
    assert schemas["AccountChanged"]["properties"]["inbox"]["enum"] == [
        "none",
        "granted",
        "pending",
    ]
