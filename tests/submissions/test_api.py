"""The JSON API's Idempotency-Key: the same key and body get the first answer again; another
body under that key, 422; a malformed key, 400; nothing stored by any of those."""

from __future__ import annotations

import pytest

from crypto import codes
from organise.campaigns.models import InviteCode
from organise.reports.models import Report, ReportMessage
from tests.campaigns.conftest import make_campaign, make_codes, pledge_rows, sign
from tests.reports.helpers import report_json, reviewer, submit
from tests.submissions.conftest import records


def _key() -> dict[str, str]:
    return {"Idempotency-Key": codes.new_token()}


async def test_one_key_twice_on_reports_gives_one_receipt_and_one_report(client):
    key = _key()
    first = await client.post("/api/v1/reports", json=report_json(), headers=key)
    again = await client.post("/api/v1/reports", json=report_json(), headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert await Report.all().count() == 1
    assert await records() == 1

    other = await client.post("/api/v1/reports", json=report_json(agency="Elsewhere"), headers=key)
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_key_reused"
    assert first.json()["receipt"] not in other.text
    assert await Report.all().count() == 1
    # The first answer is still there for its own body.
    assert (await client.post("/api/v1/reports", json=report_json(), headers=key)).json() == (
        first.json()
    )

    # Without a key every request is a new one, as before.
    await client.post("/api/v1/reports", json=report_json())
    assert await Report.all().count() == 2


@pytest.mark.parametrize(
    "key",
    ["a" * 31, "a" * 129, "a" * 40 + "=", "a" * 40 + " b", "ключ" * 10, ""],
    ids=["short", "long", "padding", "space", "not-ascii", "empty"],
)
async def test_a_malformed_key_is_a_400_and_nothing_is_stored(client, key):
    response = await client.post(
        "/api/v1/reports",
        json=report_json(),
        headers={"Idempotency-Key": key.encode("utf-8")},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_idempotency_key"
    assert "32 to 128 characters" in response.json()["error"]["message"]
    assert await Report.all().count() == 0
    assert await records() == 0


async def test_one_key_twice_on_pledges_gives_the_same_receipt_and_onward_codes(app, client):
    campaign = (await make_campaign(app, onward_invites=2, accept_chain_risk=True)).campaign
    [code] = await make_codes(app, campaign, 1)
    key = _key()
    url = "/api/v1/campaigns/walkout/pledges"
    first = await client.post(url, json={"invite_code": code, "name": "Rosa"}, headers=key)
    again = await client.post(url, json={"invite_code": code, "name": "Rosa"}, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert len(first.json()["invite_codes"]) == 2
    assert await pledge_rows(campaign) == 1
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 2  # the onward ones

    other = await client.post(url, json={"invite_code": code, "name": "Ruth"}, headers=key)
    assert other.status_code == 422
    assert await pledge_rows(campaign) == 1


async def test_one_key_twice_on_withdraw_gives_the_same_answer(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    key = _key()
    url = "/api/v1/pledges/withdraw"
    first = await client.post(url, json={"receipt": receipt}, headers=key)
    again = await client.post(url, json={"receipt": receipt.upper()}, headers=key)
    assert first.status_code == again.status_code == 200
    assert (
        again.json() == first.json() == {"withdrawn": True, "campaign": "walkout", "state": "open"}
    )
    assert await pledge_rows(campaign) == 0
    assert (await client.post(url, json={"receipt": receipt})).status_code == 404


async def test_one_key_twice_on_messages_adds_one_message(client):
    await reviewer(client)
    receipt = await submit(client)
    client.cookies.clear()
    key = _key()
    url = "/api/v1/reports/messages"
    body = {"receipt": receipt, "message": "It started in spring."}
    first = await client.post(url, json=body, headers=key)
    again = await client.post(url, json=body, headers=key)
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert [m["text"] for m in again.json()["messages"]] == ["It started in spring."]
    assert await ReportMessage.all().count() == 1
    other = await client.post(url, json={**body, "message": "Something else."}, headers=key)
    assert other.status_code == 422
    assert await ReportMessage.all().count() == 1


async def test_the_openapi_document_describes_the_key(client):
    document = (await client.get("/api/v1/openapi.json")).json()
    for path in (
        "/api/v1/reports",
        "/api/v1/campaigns/{slug}/pledges",
        "/api/v1/pledges/withdraw",
        "/api/v1/reports/messages",
    ):
        operation = document["paths"][path]["post"]
        [header] = [p for p in operation["parameters"] if p["in"] == "header"]
        assert header["name"] == "Idempotency-Key"
        assert header["schema"]["pattern"] == "^[A-Za-z0-9_-]{32,128}$"
        assert {"400", "422"} <= set(operation["responses"])
