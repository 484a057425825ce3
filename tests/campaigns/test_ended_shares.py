"""Once a campaign is revealed or has expired, no gatekeeper share is left on the server.

Shares sealed to gatekeeper accounts and not handed in, and shares behind one-time links not
yet taken, would only help someone rebuild the campaign key (in the "any K of N" mode, K shares
do it without the server's). They are emptied at the reveal and at expiry; the gatekeeper's
page and link then say plainly that the campaign is over, and show nothing.
"""

from __future__ import annotations

import re

from crypto.gate import GatePolicy
from organise.campaigns import operations
from organise.campaigns.models import Campaign, CampaignState, HeldShare, ShareLink
from organise.campaigns.setup import ShareDelivery
from organise.organisers.models import Organiser
from tests.campaigns.conftest import (
    account_gatekept_campaign,
    in_days,
    make_campaign,
    post_release,
    refreshed,
    shares_page,
    tick,
    to_the_gate,
)
from tests.support import post_form, sign_in

SHARE_WORD = re.compile(r"<li>([a-z]+)</li>")


async def _nothing_held(campaign: Campaign) -> None:
    held = await HeldShare.filter(campaign_id=campaign.id).values_list("sealed_share", flat=True)
    links = await ShareLink.filter(campaign_id=campaign.id).values_list(
        "encrypted_share", flat=True
    )
    assert [*held, *links] == [None] * (len(held) + len(links))


async def _release(client, username: str) -> str:
    page = await shares_page(client, username)
    held_id = re.search(r"/organisers/shares/([0-9a-f-]+)/release", page.text).group(1)
    released = await post_release(client, held_id)
    assert released.status_code == 200, released.text
    return held_id


async def test_account_shares_not_handed_in_are_destroyed_at_the_reveal(app, client):
    campaign = await account_gatekept_campaign(app, gate=GatePolicy("any_k_of_n", 3, 3))
    await to_the_gate(app, client, campaign)
    # cy looks at the page while the campaign asks, and keeps the page's address.
    asked = await shares_page(client, "cy")
    cy_id = re.search(r"/organisers/shares/([0-9a-f-]+)/release", asked.text).group(1)
    await _release(client, "ana")
    await _release(client, "bo")
    assert (await refreshed(campaign)).state == CampaignState.REVEALED

    await _nothing_held(campaign)
    cy = await HeldShare.get(id=cy_id)
    assert (cy.handed_in, cy.sealed_share) == (False, None)
    page = await shares_page(client, "cy")
    assert "asks for your share" not in page.text
    assert "/release" not in page.text
    assert "This campaign is over: its pledges have been revealed" in page.text
    assert "deleted from it; there is nothing to do" in page.text
    late = await post_release(client, cy_id)
    assert late.status_code == 410
    assert "This campaign is over" in late.text
    # The team's page tells the two handed in from the one deleted unused.
    client.cookies.clear()
    await sign_in(client)
    detail = await client.get("/organisers/campaigns/walkout")
    assert detail.text.count("handed in</li>") == 2
    assert "cy (" in detail.text
    assert "deleted from the server when the campaign ended" in detail.text


async def test_account_shares_are_destroyed_at_expiry(app, client):
    campaign = await account_gatekept_campaign(app, deadline=in_days(1))
    assert (await tick(app, now=in_days(2))).expired == 1
    await _nothing_held(campaign)
    page = await shares_page(client, "ana")
    assert "This campaign is over: it expired" in page.text
    assert "Nothing to do now: the campaign will ask" not in page.text


async def test_account_shares_of_a_stopped_campaign_say_it_was_stopped(app, client):
    campaign = await account_gatekept_campaign(app)
    owner = await Organiser.get(id=campaign.owner_id)
    await operations.stop(campaign, acting=owner, keystore=app.state.runtime.keystore)
    await _nothing_held(campaign)
    page = await shares_page(client, "ana")
    # Not "expired": a gatekeeper told the deadline passed would wonder why it came early.
    assert "This campaign is over: its organisers stopped it" in page.text
    assert "it expired" not in page.text


async def _open_link(client, link: str) -> list[str]:
    shown = await post_form(client, link)
    assert shown.status_code == 200
    return SHARE_WORD.findall(shown.text)


async def _link_campaign(app, **overrides):
    created = await make_campaign(
        app,
        gate=GatePolicy("server_and_gatekeepers", 3, 2),
        delivery=ShareDelivery(links=True),
        **overrides,
    )
    return created.campaign, [f"/shares/{secret}" for secret in created.share_links]


async def _after_the_end(client, links: list[str], ended: str) -> None:
    """Link 1 was taken, link 2 shown but not taken, link 3 never opened."""
    taken = await client.get(links[0])
    assert taken.status_code == 410
    assert "already taken" in taken.text
    for link in links[1:]:
        for answer in (await client.get(link), await post_form(client, link)):
            assert answer.status_code == 410
            assert ended in answer.text
            assert "there is nothing to do" in answer.text
            assert not SHARE_WORD.findall(answer.text)
            assert "Show my share" not in answer.text
        confirmed = await post_form(client, f"{link}/taken")
        assert confirmed.status_code == 410
        assert ended in confirmed.text


async def test_link_shares_not_taken_are_destroyed_at_the_reveal(app, client):
    campaign, links = await _link_campaign(app)
    first = await _open_link(client, links[0])
    assert (await post_form(client, f"{links[0]}/taken")).status_code == 200
    second = await _open_link(client, links[1])
    await to_the_gate(app, client, campaign)
    for words in (first, second):
        handed = await post_form(client, "/campaigns/walkout/gate", {"share": " ".join(words)})
        assert handed.status_code == 200
    assert (await refreshed(campaign)).state == CampaignState.REVEALED
    await _nothing_held(campaign)
    await _after_the_end(client, links, "This campaign is over: its pledges have been revealed")
    await sign_in(client)
    detail = await client.get("/organisers/campaigns/walkout")
    assert "Link 1: taken and deleted from the server" in detail.text
    assert "Link 3: deleted from the server when the campaign ended" in detail.text


async def test_link_shares_not_taken_are_destroyed_at_expiry(app, client):
    campaign, links = await _link_campaign(app, deadline=in_days(1))
    await _open_link(client, links[0])
    assert (await post_form(client, f"{links[0]}/taken")).status_code == 200
    await _open_link(client, links[1])
    assert (await tick(app, now=in_days(2))).expired == 1
    await _nothing_held(campaign)
    await _after_the_end(client, links, "This campaign is over: it expired")
