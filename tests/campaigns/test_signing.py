"""Signing through the JSON API: what is stored, single-use codes, and every refusal."""

from __future__ import annotations

from datetime import datetime

import pytest

from crypto import codes
from crypto.envelope import envelope_length
from organise.campaigns import signing
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    InviteCode,
    InviteMode,
    Pledge,
)
from organise.refusal import Refused
from organise.weeks import this_week
from tests.campaigns.conftest import (
    in_days,
    make_campaign,
    make_codes,
    pledge_key_names,
    pledge_rows,
    refreshed,
    sign,
    tick,
)


async def test_a_signature_stores_only_an_envelope_and_a_receipt_hash(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)

    response = await sign(client, "walkout", code, "Rosa", message="Count me in")

    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"receipt", "invite_codes", "state"}
    assert codes.normalise_receipt(body["receipt"]) == body["receipt"]
    assert body["state"] == "open"
    assert body["invite_codes"] == []
    [pledge] = await Pledge.filter(campaign_id=campaign.id)
    assert len(pledge.envelope) == envelope_length()
    assert pledge.week == this_week()
    assert pledge.personal_threshold == 3
    assert (
        pledge.receipt_hash
        == codes.code_hash(body["receipt"], app.state.runtime.code_pepper, kind="receipt").hex()
    )
    assert pledge_key_names(app, campaign) == [f"pledge/{campaign.id}/{pledge.id}"]
    assert (await refreshed(campaign)).pledge_count == 1
    # The code is gone: its row was deleted in the same transaction.
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 0


async def test_a_used_invite_code_is_refused_and_nothing_is_stored(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    assert (await sign(client, "walkout", code, "Rosa")).status_code == 201

    again = await sign(client, "walkout", code, "Mallory")

    assert again.status_code == 403
    assert again.json()["error"] == {
        "code": "invite_code_refused",
        "message": "This invite code is not valid or has already been used.",
    }
    assert await pledge_rows(campaign) == 1
    assert len(pledge_key_names(app, campaign)) == 1
    assert (await refreshed(campaign)).pledge_count == 1


async def test_codes_are_accepted_however_they_are_typed(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    typed = " " + code.replace("-", " ").lower().replace("0", "o") + " "
    response = await sign(client, "walkout", typed, "Rosa")
    assert response.status_code == 201


async def test_a_code_of_another_campaign_is_refused(app, client):
    await make_campaign(app)
    other = (await make_campaign(app, slug="other")).campaign
    [code] = await make_codes(app, other, 1)
    response = await sign(client, "walkout", code, "Rosa")
    assert response.status_code == 403
    assert await InviteCode.filter(campaign_id=other.id).count() == 1


async def test_onward_codes_are_new_single_use_codes(app, client):
    campaign = (await make_campaign(app, onward_invites=2, accept_chain_risk=True)).campaign
    [code] = await make_codes(app, campaign, 1)
    first = (await sign(client, "walkout", code, "Rosa")).json()
    assert len(first["invite_codes"]) == 2
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 2
    second = await sign(client, "walkout", first["invite_codes"][0], "Emma")
    assert second.status_code == 201
    # An onward code is of generation 1: at the default depth (1) it gives no more codes.
    assert second.json()["invite_codes"] == []
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1
    reused = await sign(client, "walkout", first["invite_codes"][0], "Mallory")
    assert reused.status_code == 403


async def test_an_open_campaign_needs_no_code(app, client):
    campaign = (await make_campaign(app, invite_mode=InviteMode.OPEN, onward_invites=3)).campaign
    response = await sign(client, "walkout", None, "Rosa")
    assert response.status_code == 201
    assert response.json()["invite_codes"] == []  # onward codes mean nothing when open
    assert await pledge_rows(campaign) == 1


BAD_BODIES = [
    ({"name": "Rosa"}, 422, "missing_invite_code"),
    ({"name": "Rosa", "invite_code": ""}, 422, "missing_invite_code"),
    ({"name": "Rosa", "invite_code": "not-a-code"}, 422, "invalid_invite_code"),
    ({"name": "Rosa", "invite_code": "ABCD-" * 40}, 422, "too_long"),
    ({"invite_code": "{code}"}, 422, "missing_field"),
    ({"name": "", "invite_code": "{code}"}, 422, "missing_field"),
    ({"name": "x" * 101, "invite_code": "{code}"}, 422, "too_long"),
    ({"name": "Rosa", "contact": "c" * 201, "invite_code": "{code}"}, 422, "too_long"),
    ({"name": "Rosa", "team": "t" * 101, "invite_code": "{code}"}, 422, "too_long"),
    ({"name": "Rosa", "message": "m" * 1001, "invite_code": "{code}"}, 422, "too_long"),
    ({"name": 123, "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": ["Rosa"], "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "invite_code": 42}, 422, "invalid_field"),
    ({"name": "Ro\nsa", "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "personal_threshold": "5", "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "personal_threshold": 2, "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "personal_threshold": 4.5, "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "personal_threshold": True, "invite_code": "{code}"}, 422, "invalid_field"),
    ({"name": "Rosa", "list_publicly": "yes", "invite_code": "{code}"}, 422, "invalid_field"),
]


@pytest.mark.parametrize(("body", "status", "code"), BAD_BODIES)
async def test_bad_input_is_refused_with_a_reason_and_stores_nothing(
    app, client, body, status, code
):
    campaign = (await make_campaign(app)).campaign
    [invite] = await make_codes(app, campaign, 1)
    body = {key: invite if value == "{code}" else value for key, value in body.items()}

    response = await client.post("/api/v1/campaigns/walkout/pledges", json=body)

    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["code"] == code
    assert len(error["message"]) > 10
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1
    assert (await refreshed(campaign)).pledge_count == 0


@pytest.mark.parametrize(
    ("content", "content_type", "status"),
    [
        (b"not json", "application/json", 400),
        (b"[1, 2]", "application/json", 400),
        (b"\xff\xfe", "application/json", 400),
        (b"name=Rosa", "application/x-www-form-urlencoded", 415),
    ],
)
async def test_malformed_bodies_are_refused(app, client, content, content_type, status):
    campaign = (await make_campaign(app)).campaign
    response = await client.post(
        "/api/v1/campaigns/walkout/pledges",
        content=content,
        headers={"content-type": content_type},
    )
    assert response.status_code == status
    assert response.json()["error"]["message"]
    assert await pledge_rows(campaign) == 0


async def test_an_oversized_body_is_refused(app, client):
    campaign = (await make_campaign(app)).campaign
    response = await client.post("/api/v1/campaigns/walkout/pledges", json={"name": "x" * 300_000})
    assert response.status_code == 413
    assert await pledge_rows(campaign) == 0


async def test_an_unknown_campaign_is_a_json_404(client):
    response = await client.post("/api/v1/campaigns/nowhere/pledges", json={"name": "Rosa"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "no_campaign"


async def test_a_closed_campaign_refuses_pledges(app, client):
    campaign = (await make_campaign(app, deadline=in_days(1))).campaign
    codes_ = await make_codes(app, campaign, 2)
    await sign(client, "walkout", codes_[0], "Rosa")
    await tick(app, now=in_days(2))
    assert (await refreshed(campaign)).state == CampaignState.EXPIRED

    response = await sign(client, "walkout", codes_[1], "Emma")

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "campaign_closed"
    assert "closed" in response.json()["error"]["message"]
    assert await pledge_rows(campaign) == 0


async def test_past_the_deadline_pledges_are_refused_even_before_the_tick(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    await campaign.filter(id=campaign.id).update(deadline=in_days(-0.001))
    response = await sign(client, "walkout", code, "Rosa")
    assert response.status_code == 409
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []


async def test_list_publicly_is_only_kept_for_public_campaigns(app, client):
    # The choice lives inside the envelope; here we check it is accepted as a boolean.
    campaign = (await make_campaign(app, audience=Audience.PUBLIC)).campaign
    [code] = await make_codes(app, campaign, 1)
    response = await sign(client, "walkout", code, "Rosa", list_publicly=True)
    assert response.status_code == 201


async def test_the_campaign_as_json(app, client):
    await make_campaign(app, threshold=100)
    response = await client.get("/api/v1/campaigns/walkout")
    assert response.status_code == 200
    body = response.json()
    assert {"slug", "title", "demand", "threshold", "deadline", "state", "progress"} <= set(body)
    assert body["slug"] == "walkout"
    assert body["threshold"] == 100
    assert body["state"] == "open"
    assert body["demand"].startswith("We will not build it.")
    assert body["progress"]["count"] == 0
    assert body["progress"]["display"] == "exact"
    assert "set-cookie" not in response.headers


async def test_rounded_progress_in_json_has_no_exact_count(app, client):
    from organise.campaigns.models import ProgressDisplay

    campaign = (
        await make_campaign(
            app,
            threshold=100,
            progress_display=ProgressDisplay.ROUNDED,
            invite_mode=InviteMode.OPEN,
        )
    ).campaign
    for number in range(12):
        assert (await sign(client, "walkout", None, f"Person {number}")).status_code == 201
    body = (await client.get("/api/v1/campaigns/walkout")).json()
    assert "count" not in body["progress"]
    assert (body["progress"]["lower"], body["progress"]["upper"]) == (10, 20)
    assert body["progress"]["text"] == "between 10 and 20 pledges of the 100 needed"
    assert (await refreshed(campaign)).pledge_count == 12


async def _sign_as_read(app, stale: Campaign, code: str, **when: datetime) -> Refused:
    """Sign the campaign as a request read it (`stale`), straight through the service: refused."""
    with pytest.raises(Refused) as refused:
        await signing.sign(
            stale,
            signing.PledgeInput(name="Emma", invite_code=code),
            keystore=app.state.runtime.keystore,
            pepper=app.state.runtime.code_pepper,
            **when,
        )
    return refused.value


@pytest.mark.parametrize("code_used_before", [False, True])
async def test_a_campaign_that_closed_after_the_page_was_read_refuses_and_keeps_nothing(
    app, client, code_used_before
):
    campaign = (await make_campaign(app, deadline=in_days(1))).campaign
    codes_ = await make_codes(app, campaign, 2)
    assert (await sign(client, "walkout", codes_[0], "Rosa")).status_code == 201
    stale = await refreshed(campaign)  # read while open, as a request would have
    await tick(app, now=in_days(2))
    code = codes_[0] if code_used_before else codes_[1]

    refused = await _sign_as_read(app, stale, code)

    # Closed is the answer, whatever the code; nothing of this attempt stays behind.
    assert refused.code == "campaign_closed"
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []
    assert (await refreshed(campaign)).state == CampaignState.EXPIRED


async def test_a_deadline_passed_since_the_page_was_read_refuses_and_keeps_the_code(app, client):
    campaign = (await make_campaign(app, deadline=in_days(1))).campaign
    [code] = await make_codes(app, campaign, 1)
    stale = await refreshed(campaign)
    stale.deadline = in_days(5)  # as read before the deadline moved past

    refused = await _sign_as_read(app, stale, code, now=in_days(2))

    assert refused.code == "campaign_closed"
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []
    assert (await refreshed(campaign)).pledge_count == 0
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1
