"""Worker forms with a one-time submission token: a reload or Back never loses a receipt, and
nothing is filed twice (against the real database; SQLite here, PostgreSQL when asked)."""

from __future__ import annotations

from crypto import codes
from organise.campaigns.models import Campaign, InviteCode, InviteMode, Pledge
from organise.reports.models import Report, ReportMessage
from tests.campaigns.conftest import make_campaign, make_codes, pledge_rows, sign
from tests.reports.helpers import reviewer, submit
from tests.submissions.conftest import (
    RECEIPT,
    REPORT_RECEIPT,
    form_address,
    records,
)
from tests.support import post_form


async def _post(client, address, data):
    return await post_form(client, address, data)


def _last_two(receipt: str) -> str:
    return " ".join(receipt.split("-")[-2:])


async def test_a_form_is_given_a_token_in_its_address_when_first_shown(app, client):
    await make_campaign(app)
    for path in ("/campaigns/walkout/sign", "/reports/new", "/pledges/withdraw"):
        address = await form_address(client, path)
        again = await form_address(client, path)
        assert address != again  # a fresh token each time the form is first shown
        # Back (a reload of the same address) keeps the token.
        assert f'action="{address}"' in (await client.get(address)).text
    # A damaged token in the address is replaced by a fresh one.
    damaged = await client.get("/reports/new?t=short")
    assert damaged.status_code == 303
    assert damaged.headers["location"] != "/reports/new?t=short"
    # An unknown campaign is not given a token: it does not exist.
    assert (await client.get("/campaigns/nowhere/sign")).status_code == 404


async def test_signing_twice_with_one_token_shows_the_same_receipt_and_stores_one_pledge(
    app, client
):
    campaign = (await make_campaign(app, onward_invites=2, accept_chain_risk=True)).campaign
    [code] = await make_codes(app, campaign, 1)
    address = await form_address(client, "/campaigns/walkout/sign")
    pledge = {"invite_code": code, "name": "Rosa", "message": "Count me in."}

    first = await _post(client, address, pledge)
    # A reload, and Back then the same answers typed again (the code in another case): the
    # same receipt and the same onward codes, nothing new stored, the code used once.
    reloaded = await _post(client, address, pledge)
    retyped = await _post(client, address, {**pledge, "invite_code": code.lower()})

    assert first.status_code == reloaded.status_code == retyped.status_code == 200
    [receipt] = RECEIPT.findall(first.text)
    assert RECEIPT.findall(reloaded.text) == RECEIPT.findall(retyped.text) == [receipt]
    onward = sorted(set(first.text.split('<li><code class="secret">')[1:]))
    assert len(onward) == 2
    assert sorted(set(reloaded.text.split('<li><code class="secret">')[1:])) == onward
    assert await pledge_rows(campaign) == 1
    assert await records() == 1
    assert await InviteCode.filter(campaign_id=campaign.id, generation=1).count() == 2
    assert "Pledge receipt" in first.text
    assert "Checking your pledge, and withdrawing it until the reveal." in first.text
    assert "http://testserver/pledges/status" in first.text


async def test_one_token_with_other_answers_is_a_new_submission_and_the_record_is_gone(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    address = await form_address(client, "/campaigns/walkout/sign")
    first = await _post(client, address, {"invite_code": code, "name": "Rosa"})
    [receipt] = RECEIPT.findall(first.text)

    # Someone replaying the token from the browser history with a wrong guess gets what any
    # reused code gets; nothing says the token was used, and the receipt is gone for good.
    guess = await _post(client, address, {"invite_code": code, "name": "Rose"})
    assert guess.status_code == 403
    assert "This invite code is not valid or has already been used." in guess.text
    assert receipt not in guess.text
    assert "token" not in guess.text.lower()
    assert await records() == 0
    exact = await _post(client, address, {"invite_code": code, "name": "Rosa"})
    assert exact.status_code == 403
    assert receipt not in exact.text
    assert await pledge_rows(campaign) == 1

    # The same for a form that is refused for another reason: nothing stored, nothing said.
    fresh = await form_address(client, "/campaigns/walkout/sign")
    unknown = await _post(client, fresh, {"invite_code": "X" * 28, "name": "Rosa"})
    assert unknown.status_code == 403
    assert await records() == 0


async def test_an_open_campaign_files_other_answers_under_the_same_token_once(app, client):
    campaign = (await make_campaign(app, invite_mode=InviteMode.OPEN)).campaign
    address = await form_address(client, "/campaigns/walkout/sign")
    first = RECEIPT.findall((await _post(client, address, {"name": "Rosa"})).text)
    assert RECEIPT.findall((await _post(client, address, {"name": "Rosa"})).text) == first
    assert await pledge_rows(campaign) == 1
    other = RECEIPT.findall((await _post(client, address, {"name": "Ruth"})).text)
    assert other != first
    assert await pledge_rows(campaign) == 2
    assert await records() == 1  # the first record was deleted, the second kept


async def test_a_refused_form_keeps_the_record_of_the_first_submission(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    address = await form_address(client, "/campaigns/walkout/sign")
    first = RECEIPT.findall((await _post(client, address, {"invite_code": code, "name": "R"})).text)
    # Back, a slip (the required name left out), then the same answers as before.
    slip = await _post(client, address, {"invite_code": code, "name": ""})
    assert slip.status_code == 422
    assert f'action="{address}"' in slip.text
    again = await _post(client, address, {"invite_code": code, "name": "R"})
    assert RECEIPT.findall(again.text) == first
    assert await pledge_rows(campaign) == 1


async def test_writing_the_receipt_down_deletes_the_record(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    address = await form_address(client, "/campaigns/walkout/sign")
    pledge = {"invite_code": code, "name": "Rosa"}
    page = await _post(client, address, pledge)
    [receipt] = RECEIPT.findall(page.text)
    confirm = address.replace("/sign?", "/confirmed?")
    assert f'action="{confirm}"' in page.text

    wrong = await _post(client, confirm, {"receipt": receipt, "check": "no idea"})
    assert wrong.status_code == 400
    assert "not the last two words" in wrong.text
    assert RECEIPT.findall(wrong.text) == [receipt]
    assert await records() == 1

    done = await _post(client, confirm, {"receipt": receipt, "check": _last_two(receipt)})
    assert done.status_code == 200
    assert "Thank you for signing" in done.text
    assert receipt not in done.text
    assert await records() == 0
    # A reload of that page stays neutral; the sign form sent again cannot show the receipt.
    reloaded = await _post(client, confirm, {"receipt": receipt, "check": _last_two(receipt)})
    assert reloaded.status_code == 200
    assert receipt not in reloaded.text
    resent = await _post(client, address, pledge)
    assert resent.status_code == 403
    assert receipt not in resent.text
    assert await pledge_rows(campaign) == 1


async def test_the_printable_pledge_receipt_names_no_campaign(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    page = await _post(client, "/pledges/receipt", {"receipt": receipt.upper()})
    assert page.status_code == 200
    assert receipt in page.text
    assert "Pledge receipt" in page.text
    assert "http://testserver/pledges/status" in page.text
    for named in (campaign.title, campaign.slug, campaign.employer):
        assert named not in page.text
    assert "<script" not in page.text
    damaged = await _post(client, "/pledges/receipt", {"receipt": "not a receipt"})
    assert damaged.status_code == 400
    # Only the receipt of a pledge still held is printed, never an unknown or spent one.
    unknown = codes.new_receipt()
    refused = await _post(client, "/pledges/receipt", {"receipt": unknown})
    assert refused.status_code == 404
    assert unknown not in refused.text


async def test_withdrawing_twice_with_one_token_says_withdrawn_twice(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    address = await form_address(client, "/pledges/withdraw")
    form = {"receipt": receipt, "confirm": "yes"}
    first = await _post(client, address, form)
    again = await _post(client, address, {**form, "receipt": receipt.replace("-", " ")})
    assert first.status_code == again.status_code == 200
    assert "has been withdrawn" in again.text
    assert campaign.title in again.text
    assert await pledge_rows(campaign) == 0
    # Without its token, the form cannot know: the receipt no longer matches a pledge.
    untokened = await _post(client, "/pledges/withdraw", form)
    assert untokened.status_code == 404


async def test_reporting_twice_with_one_token_shows_the_same_receipt_and_stores_one_report(
    client,
):
    address = await form_address(client, "/reports/new")
    report = {
        "employer": "Acme",
        "agency": "Springfield Police Department",
        "technologies": ["face-recognition"],
        "status": "known-internally",
        "details": "The matcher runs on our cluster.",
    }
    first = await _post(client, address, report)
    again = await _post(client, address, report)
    assert first.status_code == again.status_code == 201
    [receipt] = REPORT_RECEIPT.findall(first.text)
    assert REPORT_RECEIPT.findall(again.text) == [receipt]
    assert await Report.all().count() == 1
    assert "Report receipt" in first.text
    assert "http://testserver/reports/follow-up" in first.text

    confirm = address.replace("/new?", "/receipt?")
    assert f'action="{confirm}"' in first.text
    kept = await _post(client, confirm, {"receipt": receipt, "check": _last_two(receipt)})
    assert kept.status_code == 200
    assert await records() == 0
    # The form sent again after that is a new report: the server can no longer show the
    # receipt (what the docs say a worker accepts by confirming).
    after = await _post(client, address, report)
    assert REPORT_RECEIPT.findall(after.text) != [receipt]
    assert await Report.all().count() == 2


async def test_a_reply_sent_twice_with_one_token_is_added_once(client):
    await reviewer(client)
    receipt = await submit(client)
    client.cookies.clear()
    address = await form_address(client, "/reports/follow-up")
    page = await _post(client, address, {"receipt": receipt})
    reply = address.replace("/follow-up?", "/follow-up/reply?")
    assert f'action="{reply}"' in page.text

    message = {"receipt": receipt, "message": "It started in spring."}
    first = await _post(client, reply, message)
    again = await _post(client, reply, message)
    assert first.status_code == again.status_code == 200
    assert "Your message was sent" in again.text
    assert again.text.count("It started in spring.") == 1
    assert await ReportMessage.all().count() == 1
    # Another message from the same page is a new one.
    await _post(client, reply, {"receipt": receipt, "message": "And it is still running."})
    assert await ReportMessage.all().count() == 2


async def test_a_damaged_token_is_refused_and_a_form_without_one_still_works(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    damaged = await _post(
        client, "/campaigns/walkout/sign?t=short", {"invite_code": code, "name": "R"}
    )
    assert damaged.status_code == 400
    assert "address is damaged" in damaged.text
    assert "/campaigns/walkout/sign?t=" in damaged.text  # the form again, with a good token
    assert await pledge_rows(campaign) == 0
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1
    # A page made before tokens existed posts without one: the pledge is signed, no record.
    plain = await _post(client, "/campaigns/walkout/sign", {"invite_code": code, "name": "R"})
    assert plain.status_code == 200
    assert await pledge_rows(campaign) == 1
    assert await records() == 0
    assert await Pledge.filter(campaign_id=campaign.id).count() == 1
    assert (await Campaign.get(id=campaign.id)).pledge_count == 1
