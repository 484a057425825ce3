"""Every page and answer that states a campaign's progress says what holds, in each stage.

The public page, the list of campaigns, a signer's status page, the organisers' page, the
dashboard and `GET /api/v1/campaigns/{slug}` are read for campaigns brought into each stage
through the real service (signing, withdrawing, the ticker), never by writing a state alone.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest

from crypto.gate import GatePolicy
from organise.campaigns.models import Campaign, CampaignState, ProgressDisplay
from organise.campaigns.setup import ShareDelivery
from organise.organisers.models import Organiser
from tests.campaigns.conftest import make_campaign, make_codes, refreshed, sign, tick
from tests.support import post_form, sign_in

FACTS = re.compile(r"<dt>(.*?)</dt><dd>(.*?)</dd>", re.S)
OWN_CONDITIONS = "signers whose own conditions are met"


async def _sign_all(app, client, campaign: Campaign, *thresholds: int | None) -> list[str]:
    """One pledge per entry (its personal threshold, or None); the receipts."""
    codes = await make_codes(app, campaign, len(thresholds))
    receipts = []
    for number, (code, personal) in enumerate(zip(codes, thresholds, strict=True)):
        extra = {} if personal is None else {"personal_threshold": personal}
        response = await sign(client, campaign.slug, code, f"Signer {number}", **extra)
        assert response.status_code == 201, response.text
        receipts.append(response.json()["receipt"])
    return receipts


def _facts(page: str) -> dict[str, str]:
    return {html.unescape(k): html.unescape(v) for k, v in FACTS.findall(page)}


async def _everywhere(client, campaign: Campaign, receipt: str | None = None) -> dict[str, str]:
    """What each view says of the campaign's progress and stage, as text."""
    slug = campaign.slug
    client.cookies.clear()
    public = _facts((await client.get(f"/campaigns/{slug}")).text)
    api = (await client.get(f"/api/v1/campaigns/{slug}")).json()
    listing = html.unescape((await client.get("/campaigns/")).text)
    seen = {
        "page": f"{public['Progress']} | {public['State']}",
        "api": f"{api['progress']['text']} | {api['progress']['state_text']}",
        "list": listing,
    }
    if receipt is not None:
        status = await post_form(client, "/pledges/status", {"receipt": receipt})
        facts = _facts(status.text)
        seen["status"] = f"{facts['Progress']} | {facts['Campaign state']}"
    assert (await sign_in(client)).status_code == 303  # the owner, alex
    organiser = _facts((await client.get(f"/organisers/campaigns/{slug}")).text)
    seen["organisers"] = f"{organiser['Shown to the public as']} | {organiser['State']}"
    dashboard = html.unescape((await client.get("/organisers/dashboard/")).text)
    seen["dashboard"] = dashboard
    client.cookies.clear()
    return seen


async def test_below_a_small_threshold_rounded_progress_never_names_a_larger_number(app, client):
    made = (
        await make_campaign(app, threshold=3, progress_display=ProgressDisplay.ROUNDED)
    ).campaign
    [receipt, _other] = await _sign_all(app, client, made, None, None)
    seen = await _everywhere(client, made, receipt)
    for where in ("page", "api", "status", "organisers"):
        assert seen[where] == "fewer than the 3 pledges needed | open for pledges", where
    for where in ("list", "dashboard"):
        assert "fewer than the 3 pledges needed" in seen[where]
        assert "fewer than 5" not in seen[where]
    api = (await client.get("/api/v1/campaigns/walkout")).json()["progress"]
    assert api == {
        "state": "open",
        "display": "rounded",
        "text": "fewer than the 3 pledges needed",
        "state_text": "open for pledges",
        "reached": False,
        "lower": 0,
        "upper": 3,
    }


@pytest.mark.parametrize("display", list(ProgressDisplay))
async def test_personal_thresholds_holding_the_reveal_back_are_said_not_reached(
    app, client, display
):
    made = (await make_campaign(app, threshold=3, progress_display=display)).campaign
    # Three pledges, each counting only once four have pledged: none of them can be revealed.
    receipts = await _sign_all(app, client, made, 4, 4, 4)
    assert (await refreshed(made)).state == CampaignState.OPEN
    count = "3 pledges" if display == ProgressDisplay.EXACT else "at least 3 pledges"
    seen = await _everywhere(client, made, receipts[0])
    for where in ("page", "api", "status", "organisers"):
        assert seen[where].startswith(f"{count}; the threshold is 3 | open for pledges"), where
        assert OWN_CONDITIONS in seen[where], where
        assert "reached" not in seen[where], where
        assert "of the 3 needed" not in seen[where], where
    for where in ("list", "dashboard"):
        assert OWN_CONDITIONS in seen[where], where
        assert "3 of 3" not in seen[where]
        assert "3 pledges of the 3 needed" not in seen[where]
    # The dashboard's full bar is drawn apart and says so, rather than "100%".
    assert 'class="bar-waiting"' in seen["dashboard"]
    assert ">not reached</text>" in seen["dashboard"]
    api = (await client.get("/api/v1/campaigns/walkout")).json()
    assert api["state"] == "open"
    assert api["progress"]["state"] == "waiting_for_personal_thresholds"
    assert api["progress"]["reached"] is False
    # Which signers hold it back is not told: no personal threshold appears anywhere.
    assert "4" not in api["progress"]["text"] + api["progress"]["state_text"]
    exported = (await _organiser_export(client))["walkout"]["progress"]
    assert exported["state"] == "waiting_for_personal_thresholds"
    assert exported["reached"] is False

    # A fourth pledge meets all four conditions: the threshold is reached, and said so.
    await _sign_all(app, client, made, None)
    seen = await _everywhere(client, made)
    assert seen["api"] == (
        "4 pledges; the threshold is 3 | threshold reached: cooling-off period, "
        "pledges can still be withdrawn"
        if display == ProgressDisplay.EXACT
        else "at least 3 pledges; the threshold is 3 | threshold reached: cooling-off period, "
        "pledges can still be withdrawn"
    )
    assert (await client.get("/api/v1/campaigns/walkout")).json()["progress"]["reached"]


async def _organiser_export(client) -> dict[str, dict]:
    assert (await sign_in(client)).status_code == 303
    exported = (await client.get("/organisers/dashboard/campaigns.json")).json()
    client.cookies.clear()
    return {item["slug"]: item for item in exported["campaigns"]}


async def test_a_gated_campaign_waits_for_its_gatekeepers_and_never_says_the_reveal_starts(
    app, client
):
    made = (await make_campaign(app, gate=GatePolicy("server_and_gatekeepers", 3, 2))).campaign
    page = html.unescape((await client.get("/campaigns/walkout")).text)
    assert "the reveal starts" not in page
    assert "it waits for its gatekeepers to hand in their shares" in page
    await _sign_all(app, client, made, None, None, None)
    assert (await tick(app)).awaiting_gate == 1
    seen = await _everywhere(client, made)
    for where in ("page", "api", "organisers"):
        assert seen[where] == (
            "3 pledges; the threshold is 3 | "
            "threshold reached: waiting for the gatekeepers to hand in their shares"
        ), where
    api = (await client.get("/api/v1/campaigns/walkout")).json()["progress"]
    assert (api["state"], api["reached"]) == ("waiting_for_gatekeepers", True)


async def test_a_team_that_cannot_receive_the_reveal_is_said_to_wait_for_an_owner(app, client):
    made = (await make_campaign(app, cooling_off_hours=30)).campaign
    await _sign_all(app, client, made, None, None, None)
    await Organiser.filter(username="alex").update(enrolled=False)
    assert (await tick(app, now=datetime.now(UTC) + timedelta(hours=31))).revealed == 0
    client.cookies.clear()
    api = (await client.get("/api/v1/campaigns/walkout")).json()["progress"]
    assert api["state"] == "waiting_for_owner"
    assert "until an administrator assigns a new owner" in api["state_text"]
    public = _facts((await client.get("/campaigns/walkout")).text)
    assert "until an administrator assigns a new owner" in public["State"]


async def test_the_cooling_off_the_reveal_and_the_end_are_said_as_they_are(app, client):
    made = (await make_campaign(app, cooling_off_hours=2)).campaign
    [receipt, *_rest] = await _sign_all(app, client, made, None, None, None)
    seen = await _everywhere(client, made, receipt)
    assert seen["page"] == (
        "3 pledges; the threshold is 3 | "
        "threshold reached: cooling-off period, pledges can still be withdrawn"
    )
    assert seen["status"] == seen["page"]
    await tick(app, now=datetime.now(UTC) + timedelta(hours=3))
    assert (await refreshed(made)).state == CampaignState.REVEALED
    seen = await _everywhere(client, made, receipt)
    assert seen["page"] == "3 pledges revealed | revealed"
    assert seen["status"] == seen["page"]
    assert (await client.get("/api/v1/campaigns/walkout")).json()["progress"]["state"] == (
        "revealed"
    )

    ended = await make_campaign(app, slug="ended", deadline=datetime.now(UTC) + timedelta(days=1))
    await _sign_all(app, client, ended.campaign, None)
    await tick(app, now=datetime.now(UTC) + timedelta(days=2))
    expired = (await client.get("/api/v1/campaigns/ended")).json()["progress"]
    assert (expired["state"], expired["text"]) == ("expired", "1 pledge destroyed unread")
    assert expired["state_text"] == "expired: every pledge was destroyed unread"


async def test_revealing_is_said_while_it_happens(app, client):
    made = (await make_campaign(app, cooling_off_hours=2)).campaign
    await _sign_all(app, client, made, None, None, None)
    # The state a revealing process holds for a few seconds (`reveal` claims it this way).
    await Campaign.filter(id=made.id).update(
        state=CampaignState.REVEALING, reveal_claimed_at=datetime.now(UTC)
    )
    public = _facts((await client.get("/campaigns/walkout")).text)
    assert public["State"] == "revealing now"


# --- who could reveal early, said per campaign --------------------------------------------

SERVER_ALONE = "whoever runs this server could, in principle, reveal pledges early"
NO_SINGLE_PARTY = "no single party"
PAPER = "printed on paper for the organiser who created this campaign"


@pytest.mark.parametrize(
    ("options", "says", "never"),
    [
        ({}, SERVER_ALONE, (NO_SINGLE_PARTY, PAPER)),
        (
            {"gate": GatePolicy("server_and_gatekeepers", 3, 2)},
            PAPER,
            (NO_SINGLE_PARTY,),
        ),
        (
            {"gate": GatePolicy("any_k_of_n", 3, 2)},
            PAPER,
            (NO_SINGLE_PARTY,),
        ),
        (
            {
                "gate": GatePolicy("server_and_gatekeepers", 3, 2),
                "delivery": ShareDelivery(links=True),
            },
            NO_SINGLE_PARTY,
            (PAPER, SERVER_ALONE),
        ),
    ],
)
async def test_the_campaign_says_who_could_reveal_early_as_its_shares_were_dealt(
    app, client, options, says, never
):
    await make_campaign(app, **options)
    for url in ("/campaigns/walkout", "/campaigns/walkout/sign"):
        page = html.unescape((await client.get(url, follow_redirects=True)).text)
        assert says in page, url
        for claim in never:
            assert claim not in page, url


async def test_the_risks_are_explained_before_the_sign_button(app, client):
    await make_campaign(app)
    page = (await client.get("/campaigns/walkout/sign", follow_redirects=True)).text
    explained = page.index('id="what-happens"')
    assert explained < page.index("<form")
    assert explained < page.index('<button type="submit">')
    public = (await client.get("/campaigns/walkout")).text
    assert public.index('id="what-happens"') < public.index("Sign this pledge")


async def test_the_receipt_says_what_the_campaign_waits_for_as_every_other_page_does(app, client):
    """The receipt page's "State of the campaign" is the stage, not the raw state: here the
    threshold is reached but nobody on the team can receive the reveal."""
    made = (await make_campaign(app, threshold=2)).campaign
    await _sign_all(app, client, made, None)
    await Organiser.filter(username="alex").update(enrolled=False)
    [code] = await make_codes(app, made, 1)
    client.cookies.clear()
    receipt = await post_form(
        client, "/campaigns/walkout/sign", {"name": "Second", "invite_code": code}
    )
    assert receipt.status_code == 200, receipt.text
    assert (await refreshed(made)).state == CampaignState.COOLING_OFF
    said = html.unescape(receipt.text)
    assert "until an administrator assigns a new owner" in said
    public = _facts((await client.get("/campaigns/walkout")).text)
    assert public["State"] in said
