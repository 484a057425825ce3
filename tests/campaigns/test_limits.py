"""Failure limits of the worker and gatekeeper endpoints: 429 for failures past the limit, with
Retry-After and a page that says when to try again, while a right invite code, receipt or share
is answered as always, in the middle of the flood.

Most tests run with a tiny limit (3 failures an hour per endpoint), so that the bucket is empty
after three failures and stays empty; one runs the default against 300 failures.
"""

from __future__ import annotations

import dataclasses

import pytest

from crypto import codes
from crypto.gate import GatePolicy
from organise.campaigns import signing
from organise.campaigns.models import HeldShare, InviteMode
from organise.campaigns.setup import ShareDelivery
from organise.organisers import throttle
from organise.ratelimit import DEFAULT_RATE, FailureRate
from tests.campaigns.conftest import (
    account_gatekept_campaign,
    awaiting_gate,
    hand_in,
    make_campaign,
    make_codes,
    mistyped,
    pledge_rows,
    sign,
    to_the_gate,
)
from tests.support import (
    GATEKEEPER_PASSPHRASE,
    assert_too_many,
    post_form,
    sign_in,
)

TINY = FailureRate(failures=3, seconds=3600)


@pytest.fixture
def rate() -> FailureRate:
    return TINY


@pytest.fixture
def settings(settings, rate):
    return dataclasses.replace(settings, rate_limit=rate)


def wrong_receipt() -> str:
    return codes.new_receipt()


def wrong_code() -> str:
    return codes.new_invite_code()


@pytest.mark.parametrize("rate", [DEFAULT_RATE])
async def test_300_wrong_receipts_in_a_minute_meet_429_while_the_right_one_works(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    statuses = []
    for number in range(300):
        wrong = await client.post("/api/v1/pledges/status", json={"receipt": wrong_receipt()})
        statuses.append(wrong.status_code)
        if wrong.status_code == 429:
            assert_too_many(wrong, "No pledge matches this receipt")
        if number % 25 == 24:  # the worker with the right receipt, in the middle of the flood
            right = await client.post("/api/v1/pledges/status", json={"receipt": receipt})
            assert right.status_code == 200
            assert right.json()["pledge"] == "sealed"
    assert set(statuses) == {404, 429}
    assert statuses[: DEFAULT_RATE.failures] == [404] * DEFAULT_RATE.failures
    assert statuses.count(429) >= 300 - 2 * DEFAULT_RATE.failures
    assert statuses[-1] == 429


async def test_the_status_page_says_when_to_try_again_and_a_right_receipt_still_shows(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    for _ in range(TINY.failures):
        wrong = await post_form(client, "/pledges/status", {"receipt": wrong_receipt()})
        assert wrong.status_code == 404
    limited = await post_form(client, "/pledges/status", {"receipt": wrong_receipt()})
    assert_too_many(limited, "No pledge matches this receipt")
    assert 'name="receipt"' in limited.text  # the form is there to try again
    malformed = await post_form(client, "/pledges/status", {"receipt": "not a receipt"})
    assert_too_many(malformed, "This is not a receipt")
    right = await post_form(client, "/pledges/status", {"receipt": receipt})
    assert right.status_code == 200
    assert "Your pledge is recorded and sealed" in right.text
    # Each endpoint has its own bucket: the API twin is not yet limited.
    api = await client.post("/api/v1/pledges/status", json={"receipt": wrong_receipt()})
    assert api.status_code == 404


async def test_a_valid_invite_code_is_never_refused_for_the_limit(app, client):
    campaign = (await make_campaign(app)).campaign
    valid = await make_codes(app, campaign, 2)
    for _ in range(TINY.failures):
        assert (await sign(client, "walkout", wrong_code(), "Mallory")).status_code == 403
    limited = await sign(client, "walkout", wrong_code(), "Mallory")
    assert_too_many(limited, "This invite code is not valid or has already been used.")
    junk = await sign(client, "walkout", wrong_code(), "")
    assert_too_many(junk, "")
    assert "name" in junk.json()["error"]["fields"]
    # A right code with a field to correct is told what to correct, never to wait...
    missing_name = await sign(client, "walkout", valid[0], "")
    assert missing_name.status_code == 422
    assert "fields" in missing_name.json()["error"]
    # ...and signs at once.
    signed = await sign(client, "walkout", valid[0], "Rosa")
    assert signed.status_code == 201
    assert len(signed.json()["receipt"].split("-")) == 8
    # The same through the web form.
    form = await post_form(
        client, "/campaigns/walkout/sign", {"name": "Mallory", "invite_code": wrong_code()}
    )
    for _ in range(TINY.failures):
        form = await post_form(
            client,
            "/campaigns/walkout/sign",
            {"name": "Mallory", "invite_code": wrong_code(), "message": "Keep this"},
        )
    assert_too_many(form, "This invite code is not valid or has already been used.")
    assert "Keep this" in form.text  # what was typed comes back
    page = await post_form(
        client, "/campaigns/walkout/sign", {"name": "Ana", "invite_code": valid[1]}
    )
    assert page.status_code == 200
    assert '<code class="secret" id="receipt">' in page.text
    assert await pledge_rows(campaign) == 2


async def test_a_wrong_invite_code_is_refused_before_any_sealing(app, client, monkeypatch):
    await make_campaign(app)

    def must_not_seal(*args, **kwargs):
        raise AssertionError("sealed a pledge for a code that does not exist")

    monkeypatch.setattr(signing, "seal_pledge", must_not_seal)
    assert (await sign(client, "walkout", wrong_code(), "Mallory")).status_code == 403


async def test_open_campaigns_refuse_only_malformed_posts(app, client):
    await make_campaign(app, invite_mode=InviteMode.OPEN)
    for _ in range(TINY.failures):
        assert (await sign(client, "walkout", None, "")).status_code == 422
    assert_too_many(await sign(client, "walkout", None, ""), "")
    assert (await sign(client, "walkout", None, "Rosa")).status_code == 201


async def test_withdrawal_with_the_right_receipt_works_during_a_flood(app, client):
    campaign = (await make_campaign(app)).campaign
    receipts = [
        (await sign(client, "walkout", code, f"Signer {n}")).json()["receipt"]
        for n, code in enumerate(await make_codes(app, campaign, 2))
    ]
    for _ in range(TINY.failures + 1):
        wrong = await post_form(
            client, "/pledges/withdraw", {"receipt": wrong_receipt(), "confirm": "yes"}
        )
    assert_too_many(wrong, "No pledge matches this receipt")
    unticked = await post_form(client, "/pledges/withdraw", {"receipt": receipts[0]})
    assert unticked.status_code == 422
    assert "Tick the box" in unticked.text
    done = await post_form(client, "/pledges/withdraw", {"receipt": receipts[0], "confirm": "yes"})
    assert done.status_code == 200
    assert "has been withdrawn" in done.text
    # The JSON twin: a right receipt beside an unknown field is told about the field.
    for _ in range(TINY.failures + 1):
        wrong = await client.post("/api/v1/pledges/withdraw", json={"receipt": wrong_receipt()})
    assert_too_many(wrong, "No pledge matches this receipt")
    extra = await client.post("/api/v1/pledges/withdraw", json={"receipt": receipts[1], "extra": 1})
    assert extra.status_code == 422
    assert extra.json()["error"]["code"] == "unknown_field"
    withdrawn = await client.post("/api/v1/pledges/withdraw", json={"receipt": receipts[1]})
    assert withdrawn.status_code == 200
    assert await pledge_rows(campaign) == 0


async def test_a_right_gatekeeper_share_is_accepted_during_a_flood(app, client):
    _campaign, shares, _receipts = await awaiting_gate(
        app, client, GatePolicy("server_and_gatekeepers", 3, 2)
    )
    for _ in range(TINY.failures):
        assert (await hand_in(client, "walkout", mistyped(shares[0]))).status_code == 422
    limited = await hand_in(client, "walkout", mistyped(shares[0]))
    assert_too_many(limited, "checksum error")
    assert 'name="share"' in limited.text
    accepted = await hand_in(client, "walkout", shares[0])
    assert accepted.status_code == 200
    assert "Your share was accepted." in accepted.text
    # Handing in a right share twice is a conflict, never counted nor limited.
    again = await hand_in(client, "walkout", shares[0])
    assert again.status_code == 409
    revealed = await hand_in(client, "walkout", shares[1])
    assert revealed.status_code == 200


async def test_a_right_share_link_works_during_a_flood_and_a_taken_one_says_so(app, client):
    created = await make_campaign(
        app, gate=GatePolicy("server_and_gatekeepers", 3, 2), delivery=ShareDelivery(links=True)
    )
    link = f"/shares/{created.share_links[0]}"
    for _ in range(TINY.failures):
        assert (await client.get("/shares/" + codes.new_token(32))).status_code == 404
    limited = await client.get("/shares/" + codes.new_token(32))
    assert_too_many(limited, "This share link is not known.")
    assert (await client.get(link)).status_code == 200
    assert (await post_form(client, link)).status_code == 200
    assert (await post_form(client, f"{link}/taken")).status_code == 200
    # Once taken, the alarm is shown, never a "wait": its gatekeeper must see it.
    for _ in range(TINY.failures + 1):
        taken = await client.get(link)
        assert taken.status_code == 410
        assert "already taken" in taken.text


async def test_a_gatekeeper_releases_a_held_share_after_a_flood_of_wrong_passphrases(
    app, client, settings, monkeypatch
):
    held: list[float] = []

    async def record(seconds: float) -> None:
        held.append(seconds)

    monkeypatch.setattr(throttle, "pause", record)
    campaign = await account_gatekept_campaign(app)
    await to_the_gate(app, client, campaign)
    assert (await sign_in(client, "ana", GATEKEEPER_PASSPHRASE)).status_code == 303
    row = await HeldShare.get(campaign_id=campaign.id, organiser__username="ana")
    release = f"/organisers/shares/{row.id}/release"
    for number in range(settings.login_failures_before_delay + 3):
        wrong = await post_form(client, release, {"passphrase": f"a wrong guess {number}"})
        assert wrong.status_code == 400
    assert held == [1, 2, 4]  # slowed, as at sign-in
    right = await post_form(client, release, {"passphrase": GATEKEEPER_PASSPHRASE})
    assert right.status_code == 200
    assert "Your share was accepted." in right.text
    assert held == [1, 2, 4]
    assert (await HeldShare.get(id=row.id)).handed_in
