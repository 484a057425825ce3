"""Worker pages (no JavaScript, no cookies) and organiser pages."""

from __future__ import annotations

import csv
import io
import re

from organise.campaigns import team
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    InviteCode,
    Pledge,
    ReleasedChunk,
)
from organise.roles import Role
from tests.campaigns.conftest import (
    create_through_form,
    make_campaign,
    make_codes,
    pledge_rows,
    refreshed,
    sign,
    sign_with_new_codes,
    tick,
)
from tests.support import make_organiser, post_form, sign_in, signed_in_organiser

RECEIPT = re.compile(r'<code class="secret" id="receipt">([a-z-]+)</code>')


async def _sign_form(client, slug="walkout", **fields):
    data = {"name": "Rosa", **fields}
    return await post_form(client, f"/campaigns/{slug}/sign", data)


async def test_the_campaign_page_escapes_the_demand_and_keeps_paragraphs(app, client):
    await make_campaign(
        app, demand="<script>alert(1)</script> We refuse.\nLine two.\n\n<b>Second</b> paragraph."
    )
    page = await client.get("/campaigns/walkout")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; We refuse.\nLine two.</p>" in page.text
    assert "<p>&lt;b&gt;Second&lt;/b&gt; paragraph.</p>" in page.text
    assert "0 pledges of the 3 needed" in page.text
    assert "the server alone, automatically" in page.text
    assert "What happens to your pledge" in page.text
    assert "set-cookie" not in page.headers
    assert "<script" not in page.text.replace("&lt;script", "")


async def test_the_campaign_list(app, client):
    await make_campaign(app)
    page = await client.get("/campaigns/")
    assert page.status_code == 200
    assert "Walk out of Project Lantern" in page.text


async def test_an_unknown_campaign_page_is_404(client):
    assert (await client.get("/campaigns/nowhere")).status_code == 404
    assert (await client.get("/campaigns/NOT A SLUG")).status_code == 404


async def test_signing_through_the_form_shows_the_receipt_until_it_is_written_down(app, client):
    campaign = (await make_campaign(app, onward_invites=2, accept_chain_risk=True)).campaign
    [code] = await make_codes(app, campaign, 1)
    form = await client.get("/campaigns/walkout/sign", follow_redirects=True)
    assert form.status_code == 200
    assert 'name="invite_code"' in form.text
    assert 'name="list_publicly"' not in form.text  # only offered when the audience is public
    address = form.url.raw_path.decode()
    assert f'action="{address}"' in form.text

    response = await post_form(
        client, address, {"name": "Rosa", "invite_code": code, "message": "Hello"}
    )

    assert response.status_code == 200
    assert "set-cookie" not in response.headers
    assert response.headers["cache-control"] == "no-store"
    [receipt] = RECEIPT.findall(response.text)
    assert len(receipt.split("-")) == 8
    assert response.text.count('<li><code class="secret">') == 2  # onward codes
    assert "I have written it down" in response.text
    confirm = address.replace("/sign?", "/confirmed?")
    confirmed = await post_form(
        client, confirm, {"receipt": receipt, "check": " ".join(receipt.split("-")[-2:])}
    )
    assert confirmed.status_code == 200
    assert receipt not in confirmed.text
    assert "Thank you for signing" in confirmed.text
    assert receipt not in (await client.get("/campaigns/walkout")).text

    status = await post_form(client, "/pledges/status", {"receipt": receipt})
    assert status.status_code == 200
    assert "Your pledge is recorded and sealed" in status.text
    assert receipt not in status.text
    assert await pledge_rows(campaign) == 1


async def test_a_refused_form_keeps_what_was_typed_but_stores_nothing(app, client):
    campaign = (await make_campaign(app)).campaign
    response = await _sign_form(client, invite_code="", message="Keep this text")
    assert response.status_code == 422
    assert "please enter your invite code" in response.text
    assert "Keep this text" in response.text
    too_long = await _sign_form(client, invite_code="x", name="n" * 101)
    assert too_long.status_code == 422
    assert "at most 100 characters" in too_long.text
    bad_threshold = await _sign_form(client, invite_code="x", personal_threshold="lots")
    assert bad_threshold.status_code == 422
    assert await pledge_rows(campaign) == 0


async def test_a_form_from_another_site_is_refused(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    response = await client.post(
        "/campaigns/walkout/sign",
        data={"name": "Rosa", "invite_code": code},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert await pledge_rows(campaign) == 0
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1


async def test_withdrawing_through_the_form(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    receipt = (await sign(client, "walkout", code, "Rosa")).json()["receipt"]
    unconfirmed = await post_form(client, "/pledges/withdraw", {"receipt": receipt})
    assert unconfirmed.status_code == 422
    assert await pledge_rows(campaign) == 1
    typo = await post_form(client, "/pledges/withdraw", {"receipt": "nine words", "confirm": "yes"})
    assert typo.status_code == 422
    assert "8 words" in typo.text
    done = await post_form(
        client,
        "/pledges/withdraw",
        {"receipt": receipt.replace("-", " ").upper(), "confirm": "yes"},
    )
    assert done.status_code == 200
    assert "has been withdrawn" in done.text
    assert await pledge_rows(campaign) == 0


async def test_the_public_sees_only_listed_names_after_the_reveal(app, client):
    from organise.campaigns.models import Audience

    campaign = (await make_campaign(app, audience=Audience.PUBLIC)).campaign
    codes = await make_codes(app, campaign, 3)
    form = await client.get("/campaigns/walkout/sign", follow_redirects=True)
    assert 'name="list_publicly"' in form.text
    await _sign_form(client, invite_code=codes[0], name="Listed Lucy", list_publicly="yes")
    await _sign_form(client, invite_code=codes[1], name="Hidden Hana")
    await sign(client, "walkout", codes[2], "Listed Leo", list_publicly=True)
    await tick(app)
    page = await client.get("/campaigns/walkout")
    assert "Listed Lucy" in page.text
    assert "Listed Leo" in page.text
    assert "Hidden Hana" not in page.text
    assert "1 other signer is counted but not named" in page.text
    body = (await client.get("/api/v1/campaigns/walkout")).json()
    assert body["listed_signers"] == ["Listed Leo", "Listed Lucy"]


async def test_an_organiser_creates_a_campaign(client):
    await signed_in_organiser(client)
    form = await client.get("/organisers/campaigns/new")
    assert form.status_code == 200
    assert "can be flooded with fake pledges" in form.text
    response = await create_through_form(client)
    assert response.status_code == 303
    assert response.headers["location"].endswith("/organisers/campaigns/walkout")
    campaign = await Campaign.get(slug="walkout")
    assert (campaign.threshold, campaign.cooling_off_hours, campaign.onward_invites) == (3, 48, 2)
    assert campaign.progress_display == "rounded"
    detail = await client.get("/organisers/campaigns/walkout")
    assert detail.status_code == 200
    assert "created" in detail.text
    listing = await client.get("/organisers/campaigns/")
    assert "Walk out" in listing.text


async def test_bad_campaign_forms_are_refused_with_a_reason(client):
    await signed_in_organiser(client)
    cases = [
        ({"slug": "Bad Slug!"}, "short name"),
        ({"slug": "new"}, "short name"),
        ({"threshold": "1"}, "Threshold must be a whole number from 2"),
        ({"threshold": "lots"}, "Threshold must be a whole number"),
        ({"deadline": "yesterday"}, "ISO 8601"),
        ({"deadline": "2001-01-01T00:00"}, "in the future"),
        ({"cooling_off_hours": "9999"}, "Cooling-off period"),
        ({"onward_invites": "6"}, "Onward invite codes"),
        ({"audience": "everyone"}, "who sees the pledges"),
        ({"employer": ""}, "Employer is required"),
        (
            {
                "gate_mode": "server_and_gatekeepers",
                "gatekeepers": "3",
                "gatekeepers_required": "1",
            },
            "require at least 2",
        ),
    ]
    for overrides, message in cases:
        response = await create_through_form(client, **overrides)
        assert response.status_code in (409, 422), overrides
        assert message in response.text, overrides
    assert await Campaign.all().count() == 0
    await create_through_form(client)
    taken = await create_through_form(client)
    assert taken.status_code == 409
    assert await Campaign.all().count() == 1


async def test_gatekeeper_shares_are_shown_once_with_qr_codes(client):
    await signed_in_organiser(client)
    response = await create_through_form(client, gate_mode="server_and_gatekeepers")
    assert response.status_code == 200
    assert response.text.count('class="gate-share-qr"') == 3
    assert response.text.count('<ol class="share-words">') == 3
    assert "shown only this once" in response.text
    first_word_list = re.search(r'<ol class="share-words">(.*?)</ol>', response.text, re.S)
    words = re.findall(r"<li>([a-z]+)</li>", first_word_list.group(1))
    assert len(words) == 33
    share = " ".join(words)
    # Never again: not on the campaign pages, not in the database.
    for path in ("/organisers/campaigns/walkout", "/campaigns/walkout"):
        assert share not in (await client.get(path)).text
    campaign = await Campaign.get(slug="walkout")
    assert share.encode() not in repr(await Campaign.filter(id=campaign.id).values()).encode()


async def test_invite_sheets_and_csv(client):
    await signed_in_organiser(client, role=Role.ADMIN)
    await create_through_form(client)
    sheet = await post_form(
        client, "/organisers/campaigns/walkout/invites", {"count": "5", "format": "html"}
    )
    assert sheet.status_code == 200
    sheet_codes = re.findall(r'<code class="secret">([0-9A-Z-]{34})</code>', sheet.text)
    assert len(set(sheet_codes)) == 5
    download = await post_form(
        client, "/organisers/campaigns/walkout/invites", {"count": "3", "format": "csv"}
    )
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.text)))
    assert rows[0] == ["invite_code"]
    assert len(rows) == 4
    campaign = await Campaign.get(slug="walkout")
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 8
    too_many = await post_form(client, "/organisers/campaigns/walkout/invites", {"count": "501"})
    assert too_many.status_code == 422
    client.cookies.clear()
    # The sheet's codes work.
    signed = await sign(client, "walkout", sheet_codes[0], "Rosa")
    assert signed.status_code == 201


async def test_revealed_pledges_as_csv_cannot_run_formulas(app, client):
    await make_organiser("alex", Role.ORGANISER)
    campaign = (await make_campaign(app)).campaign
    codes = await make_codes(app, campaign, 3)
    await sign(client, "walkout", codes[0], '=HYPERLINK("http://evil")', message="+1 from me")
    await sign(client, "walkout", codes[1], "@mention", team="-ops")
    await sign(client, "walkout", codes[2], 'Plain, "quoted"', contact="\tx")
    await tick(app)
    await sign_in(client, "alex")
    response = await client.get("/organisers/campaigns/walkout/pledges.csv")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0][:4] == ["Name or pseudonym", "Contact", "Team or role", "Message"]
    cells = [cell for row in rows[1:] for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert "'+1 from me" in cells
    assert "'@mention" in cells
    assert "'-ops" in cells
    assert 'Plain, "quoted"' in cells
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells)
    page = await client.get("/organisers/campaigns/walkout/pledges")
    assert "=HYPERLINK(&#34;http://evil&#34;)" in page.text or "=HYPERLINK(&quot;" in page.text


async def test_an_organiser_created_after_the_reveal_cannot_read_it(app, client):
    await make_organiser("alex", Role.ORGANISER)
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    await tick(app)
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    await signed_in_organiser(client, "newcomer")
    # Outside the team, the campaign does not exist for them; once added to the team after the
    # reveal, it exists, but what was sealed before they joined stays closed to them.
    assert (await client.get("/organisers/campaigns/walkout/pledges")).status_code == 404
    await team.add_member(campaign, "newcomer", acting=None)
    response = await client.get("/organisers/campaigns/walkout/pledges")
    assert response.status_code == 403
    assert "this account was not on it" in response.text
    assert await Pledge.filter(campaign_id=campaign.id, revealed=True).count() == 3


async def test_a_damaged_release_is_refused_not_shown_short(app, client):
    await make_organiser("alex", Role.ORGANISER)
    campaign = (await make_campaign(app)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    await tick(app)
    await ReleasedChunk.filter(campaign_id=campaign.id, audience=Audience.ORGANISERS).delete()
    await sign_in(client, "alex")
    for path in ("pledges", "pledges.csv"):
        response = await client.get(f"/organisers/campaigns/walkout/{path}")
        assert response.status_code == 409
        assert "incomplete or have been altered" in response.text
