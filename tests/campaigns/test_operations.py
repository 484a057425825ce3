"""What a campaign's team does to a running campaign: revoke codes, stop, extend, edit, archive.

Written as what a signer or an onlooker would notice: a revoked code refused like a used one
(and no page telling whether it had been used), a stopped campaign's pledges unreadable for
good, a pledge whose signer did not opt in to a new deadline destroyed at the one they agreed
to, the threshold given up again when that takes the count below it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from crypto.qr import address_qr_svg
from organise.campaigns import deadlines, invites, operations
from organise.campaigns.models import (
    CampaignState,
    EventKind,
    InviteBatch,
    InviteCode,
    LifecycleEvent,
    Pledge,
)
from organise.refusal import Refused
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
from tests.support import campaign_owner, make_organiser, post_form, sign_in

REFUSED_CODE = "This invite code is not valid or has already been used."
DETAIL = "/organisers/campaigns/walkout"


async def _signed(client, code: str, name: str) -> str:
    response = await sign(client, "walkout", code, name)
    assert response.status_code == 201, response.text
    return str(response.json()["receipt"])


async def _post(client, action: str, **data: str):
    return await post_form(client, f"{DETAIL}/{action}", data)


# --- revoking invite codes ---------------------------------------------------------------------


async def test_a_revoked_code_is_refused_like_a_used_one_and_the_answer_never_says_which(
    app, client
):
    campaign = (await make_campaign(app)).campaign
    used, unused, kept = await make_codes(app, campaign, 3)
    await _signed(client, used, "Rosa")
    await sign_in(client)
    page = await client.get(DETAIL)
    assert "Unused invite codes" not in page.text

    answers = []
    for code in (used, unused, "ABCD-EFGH-JKMN-PQRS-TVWX-YZ23-4567"):
        answer = await _post(client, "revoke", code=code, confirm="yes")
        assert answer.status_code == 200
        # The page is the same whether the code was used, unused, or never this campaign's.
        answers.append(answer.text.split('role="status">')[1].split("<")[0])
    assert len(set(answers)) == 1

    api = await sign(client, "walkout", unused, "Emma")
    assert (api.status_code, api.json()["error"]["code"]) == (403, "invite_code_refused")
    form = await post_form(
        client, "/campaigns/walkout/sign", {"name": "Emma", "invite_code": unused}
    )
    assert form.status_code == 403
    assert REFUSED_CODE in form.text
    # The code left alone still signs.
    await _signed(client, kept, "Lucy")


async def test_revoking_a_batch_refuses_each_of_its_codes_and_no_other(app, client):
    campaign = (await make_campaign(app)).campaign
    pepper = app.state.runtime.code_pepper
    batch = await invites.generate(campaign, 3, pepper=pepper, batch="Canteen, Tuesday")
    other = await invites.generate(campaign, 1, pepper=pepper, batch="Second floor")
    await _signed(client, batch[0], "Rosa")
    await sign_in(client)
    answer = await _post(client, "revoke", batch="Canteen, Tuesday", confirm="yes")
    assert answer.status_code == 200
    assert "Canteen, Tuesday is revoked" in answer.text
    for code in batch[1:]:
        refused = await sign(client, "walkout", code, "Emma")
        assert refused.status_code == 403
        assert refused.json()["error"]["message"] == REFUSED_CODE
    await _signed(client, other[0], "Lucy")
    row = await InviteBatch.get(name="Canteen, Tuesday")
    assert row.revoked
    assert row.week.weekday() == 0
    assert "revoked" in (await client.get(DETAIL)).text


async def test_revoking_asks_for_confirmation_and_keeps_the_code_until_given(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    await sign_in(client)
    answer = await _post(client, "revoke", code=code)
    assert answer.status_code == 422
    assert "whoever holds these codes will no longer be able to sign" in answer.text
    await _signed(client, code, "Rosa")


async def test_a_batch_name_is_never_on_a_slip_and_the_qr_code_holds_the_address_only(app, client):
    await make_campaign(app)
    await sign_in(client)
    sheet = await post_form(
        client, f"{DETAIL}/invites", {"count": "2", "format": "html", "batch": "Night shift list"}
    )
    assert sheet.status_code == 200
    assert "Night shift list" not in sheet.text
    assert "alex" not in sheet.text  # nor the organiser's name
    address = "http://testserver/campaigns/walkout"
    assert sheet.text.count(address_qr_svg(address)) == 2  # one per slip, of the address
    assert "Open this address in Tor Browser and type the code there" in sheet.text
    # A second batch may not take the same name.
    again = await post_form(
        client, f"{DETAIL}/invites", {"count": "1", "format": "html", "batch": "Night shift list"}
    )
    assert again.status_code == 409


# --- stopping ----------------------------------------------------------------------------------


async def test_stopping_destroys_every_pledge_as_expiry_does_and_the_public_page_says_who(
    app, client
):
    campaign = (await make_campaign(app, threshold=5)).campaign
    codes = await make_codes(app, campaign, 3)
    receipt = await _signed(client, codes[0], "Rosa")
    await _signed(client, codes[1], "Emma")
    assert len(pledge_key_names(app, campaign)) == 2
    await sign_in(client)

    unconfirmed = await _post(client, "stop", confirm="")
    assert unconfirmed.status_code == 422
    assert (await refreshed(campaign)).state == CampaignState.OPEN

    stopped = await _post(client, "stop", confirm="yes")
    assert "2 pledges were destroyed unread" in stopped.text
    campaign = await refreshed(campaign)
    assert (campaign.state, campaign.stopped, campaign.destroyed_count) == (
        CampaignState.EXPIRED,
        True,
        2,
    )
    assert await pledge_rows(campaign) == 0
    assert pledge_key_names(app, campaign) == []
    assert app.state.runtime.keystore.names(f"gate/{campaign.id}/") == []
    assert not await InviteCode.exists(campaign_id=campaign.id)
    [event] = await LifecycleEvent.filter(campaign_id=campaign.id, kind=EventKind.STOPPED)
    assert event.count == 2

    public = await client.get("/campaigns/walkout")
    assert "stopped by its organisers before its deadline. 2 pledges were destroyed unread" in (
        public.text
    )
    body = (await client.get("/api/v1/campaigns/walkout")).json()
    assert (body["state"], body["stopped"], body["destroyed_unread"]) == ("expired", True, 2)
    gone = await client.post("/api/v1/pledges/status", json={"receipt": receipt})
    assert gone.status_code == 404
    refused = await sign(client, "walkout", codes[2], "Lucy")
    assert refused.status_code == 409


async def test_a_revealed_campaign_cannot_be_stopped(app, client):
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, ("A", "B", "C"))
    assert (await tick(app)).revealed == 1
    await sign_in(client)
    answer = await _post(client, "stop", confirm="yes")
    assert answer.status_code == 409
    assert "can no longer be stopped" in answer.text
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    # Nor while its reveal is under way.
    await type(campaign).filter(id=campaign.id).update(state=CampaignState.REVEALING)
    with pytest.raises(Refused) as refusal:
        await operations.stop(
            await refreshed(campaign),
            acting=await campaign_owner(),
            keystore=app.state.runtime.keystore,
        )
    assert refusal.value.status == 409


async def test_only_the_team_operates_a_campaign(app, client):
    campaign = (await make_campaign(app)).campaign
    outsider = await make_organiser("sam", Role.ADMIN)
    keystore = app.state.runtime.keystore
    attempts = [
        operations.stop(campaign, acting=outsider, keystore=keystore),
        operations.archive(campaign, acting=outsider),
        operations.edit_wording(campaign, title="T", demand="D", acting=outsider),
        deadlines.extend_deadline(campaign, in_days(60), acting=outsider),
        invites.revoke_batch(campaign, "x", acting=outsider),
    ]
    for attempt in attempts:
        with pytest.raises(Refused) as refusal:
            await attempt
        assert refusal.value.status == 404
    assert (await refreshed(campaign)).state == CampaignState.OPEN


# --- extending the deadline --------------------------------------------------------------------


async def test_extending_keeps_each_pledge_to_the_deadline_its_signer_agreed_to(app, client):
    first = in_days(10)
    campaign = (
        await make_campaign(app, threshold=3, cooling_off_hours=200, deadline=first)
    ).campaign
    codes = await make_codes(app, campaign, 4)
    stays = await _signed(client, codes[0], "Rosa")
    opted = await _signed(client, codes[1], "Emma")
    await sign_in(client)

    too_soon = (datetime.now(UTC) + timedelta(hours=20)).isoformat(timespec="minutes")
    refused = await _post(client, "extend", deadline=too_soon, confirm="yes")
    assert refused.status_code == 422
    assert "at least 24 hours from now" in refused.text
    new = in_days(40).replace(second=0, microsecond=0)
    moved = await _post(client, "extend", deadline=new.isoformat(), confirm="yes")
    assert moved.status_code == 200, moved.text
    assert (await refreshed(campaign)).deadline == new
    public = await client.get("/campaigns/walkout")
    assert "The organisers moved the deadline from" in public.text
    # Every signer is told so before signing, and what stopping would do.
    assert "your pledge keeps the deadline you signed under" in public.text
    assert "If they stop the campaign early, every pledge is destroyed" in public.text

    # The signer who opts in does it from their status page, with the receipt.
    status = await post_form(client, "/pledges/status", {"receipt": opted})
    assert "Keep my pledge until the new deadline" in status.text
    kept = await post_form(client, "/pledges/deadline", {"receipt": opted, "confirm": "yes"})
    assert "your pledge now counts until the campaign" in kept.text
    api = await client.post("/api/v1/pledges/status", json={"receipt": stays})
    assert "own_deadline" in api.json()
    assert (
        "own_deadline"
        not in (await client.post("/api/v1/pledges/status", json={"receipt": opted})).json()
    )

    # A third signature, after the move, agrees to the new deadline.
    await _signed(client, codes[2], "Lucy")
    assert (await refreshed(campaign)).state == CampaignState.COOLING_OFF

    report = await tick(app, now=first + timedelta(minutes=1))
    assert report.lapsed == 1
    campaign = await refreshed(campaign)
    # Rosa's pledge went at her deadline; the count fell below the threshold again.
    assert (campaign.pledge_count, campaign.destroyed_count) == (2, 1)
    assert campaign.state == CampaignState.OPEN
    assert await pledge_rows(campaign) == 2
    assert len(pledge_key_names(app, campaign)) == 2
    gone = await client.post("/api/v1/pledges/status", json={"receipt": stays})
    assert gone.status_code == 404
    kinds = await LifecycleEvent.filter(campaign_id=campaign.id).values_list("kind", flat=True)
    assert EventKind.LAPSED in kinds
    assert EventKind.THRESHOLD_LOST in kinds
    assert (await tick(app, now=first + timedelta(minutes=2))).lapsed == 0

    # The opted-in pledge survives and counts: one more signature reveals all three.
    await _signed(client, codes[3], "Mona")
    assert (await tick(app, now=first + timedelta(hours=201))).revealed == 1
    assert (await refreshed(campaign)).revealed_count == 3


async def test_a_pledge_past_its_own_deadline_is_left_out_of_the_count_before_the_tick(app, client):
    first = in_days(5)
    campaign = (await make_campaign(app, threshold=2, deadline=first)).campaign
    codes = await make_codes(app, campaign, 2)
    await _signed(client, codes[0], "Rosa")
    await deadlines.extend_deadline(campaign, in_days(30), acting=await campaign_owner())
    # Past Rosa's deadline a second signature does not reach the threshold with her pledge.
    pledge = await Pledge.get(campaign_id=campaign.id)
    await Pledge.filter(id=pledge.id).update(deadline=datetime.now(UTC) - timedelta(minutes=1))
    await _signed(client, codes[1], "Emma")
    assert (await refreshed(campaign)).state == CampaignState.OPEN


async def test_the_deadline_is_never_brought_forward_nor_moved_after_the_end(app, client):
    campaign = (await make_campaign(app, deadline=in_days(30))).campaign
    owner = await campaign_owner()
    with pytest.raises(Refused) as earlier:
        await deadlines.extend_deadline(campaign, in_days(20), acting=owner)
    assert earlier.value.code == "invalid_deadline"
    await operations.stop(campaign, acting=owner, keystore=app.state.runtime.keystore)
    with pytest.raises(Refused) as ended:
        await deadlines.extend_deadline(await refreshed(campaign), in_days(60), acting=owner)
    assert ended.value.status == 409


# --- editing and archiving ---------------------------------------------------------------------


async def test_the_wording_changes_only_before_the_first_pledge(app, client):
    campaign = (await make_campaign(app)).campaign
    await sign_in(client)
    edited = await _post(client, "edit", title="Refuse Lantern", demand="We refuse.", confirm="yes")
    assert edited.status_code == 200
    assert "Refuse Lantern" in (await client.get("/campaigns/walkout")).text
    [code] = await make_codes(app, campaign, 1)
    await _signed(client, code, "Rosa")
    refused = await _post(client, "edit", title="Other", demand="Other.", confirm="yes")
    assert refused.status_code == 409
    assert "start a new campaign" in refused.text
    assert (await refreshed(campaign)).title == "Refuse Lantern"
    assert "Start a new campaign" in (await client.get(DETAIL)).text


async def test_a_finished_campaign_is_archived_off_the_lists(app, client):
    campaign = (await make_campaign(app)).campaign
    await sign_in(client)
    early = await _post(client, "archive", confirm="yes")
    assert early.status_code == 409
    await _post(client, "stop", confirm="yes")
    assert "walkout" in (await client.get("/campaigns/")).text
    archived = await _post(client, "archive", confirm="yes")
    assert archived.status_code == 200
    assert (await refreshed(campaign)).archived
    assert "walkout" not in (await client.get("/campaigns/")).text
    listing = (await client.get("/organisers/campaigns/")).text
    assert "Archived campaigns" in listing
    # Its page stays where it was.
    assert (await client.get("/campaigns/walkout")).status_code == 200


async def test_a_signer_opts_in_through_the_api_and_not_once_their_deadline_passed(app, client):
    campaign = (await make_campaign(app, deadline=in_days(5))).campaign
    codes = await make_codes(app, campaign, 2)
    keeps, late = await _signed(client, codes[0], "Rosa"), await _signed(client, codes[1], "Emma")
    moved = await deadlines.extend_deadline(campaign, in_days(30), acting=await campaign_owner())
    answer = await client.post("/api/v1/pledges/deadline", json={"receipt": keeps})
    assert answer.status_code == 200
    assert answer.json() == {"campaign": "walkout", "deadline": moved.deadline.isoformat()}
    status = await client.post("/api/v1/pledges/status", json={"receipt": keeps})
    assert "own_deadline" not in status.json()
    # Emma's own deadline passes before she opts in: too late, even before the tick.
    await Pledge.filter(deadline__lt=moved.deadline).update(
        deadline=datetime.now(UTC) - timedelta(minutes=1)
    )
    refused = await client.post("/api/v1/pledges/deadline", json={"receipt": late})
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "pledge_deadline_passed")


async def test_a_campaign_past_its_deadline_expires_rather_than_being_stopped(app, client):
    campaign = (await make_campaign(app, deadline=in_days(1))).campaign
    with pytest.raises(Refused) as refusal:
        await operations.stop(
            campaign,
            acting=await campaign_owner(),
            keystore=app.state.runtime.keystore,
            now=in_days(2),
        )
    assert refusal.value.status == 409
    ended = await refreshed(campaign)
    assert (ended.state, ended.stopped) == (CampaignState.EXPIRED, False)
