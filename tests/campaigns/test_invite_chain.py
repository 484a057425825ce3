"""Bounded onward invites: one leaked organiser-made code adds at most 1 + K + ... + K^D pledges.

The attacker works at the employer and holds one code. They sign with it, take the onward codes,
sign with each, and so on, breadth first, as long as anything comes back.
"""

from __future__ import annotations

import pytest

from organise.campaigns import policy
from organise.campaigns.models import Campaign, CampaignState, InviteCode, Pledge
from organise.refusal import Refused
from tests.campaigns.conftest import campaign_form, make_campaign, make_codes, refreshed, sign
from tests.support import post_form, signed_in_organiser


async def _chain(client, slug: str, code: str) -> int:
    """Sign with `code`, then with every code that comes back, breadth first; pledges made."""
    signed = 0
    frontier = [code]
    number = 0
    while frontier:
        following: list[str] = []
        for held in frontier:
            number += 1
            response = await sign(client, slug, held, f"Sock puppet {number}")
            assert response.status_code == 201, response.text
            signed += 1
            following += response.json()["invite_codes"]
        frontier = following
    return signed


async def test_one_code_at_the_default_depth_adds_at_most_six(app, client):
    created = await make_campaign(app, threshold=10, onward_invites=5, cooling_off_hours=48)
    campaign = created.campaign
    assert campaign.invite_depth == 1
    [code] = await make_codes(app, campaign, 1)

    assert await _chain(client, "walkout", code) == 6
    after = await refreshed(campaign)
    assert after.pledge_count == 6
    assert await Pledge.filter(campaign_id=campaign.id).count() == 6
    assert after.state == CampaignState.OPEN  # no reveal: four real coworkers are still needed
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 0  # nothing left to use
    facts = policy.campaign_chain_risk(after).text
    assert "can add at most 6 pledges" in facts
    assert "only 4 real coworkers have signed" in facts


@pytest.mark.parametrize(("depth", "bound"), [(0, 1), (2, 31), (3, 156)])
async def test_the_bound_at_other_depths(app, client, depth, bound):
    threshold = bound + 1
    campaign = (
        await make_campaign(app, threshold=threshold, onward_invites=5, invite_depth=depth)
    ).campaign
    [code] = await make_codes(app, campaign, 1)
    assert await _chain(client, "walkout", code) == bound == policy.chain_bound(5, depth)
    after = await refreshed(campaign)
    assert (after.pledge_count, after.state) == (bound, CampaignState.OPEN)


async def test_a_used_code_mints_nothing_when_tried_again(app, client):
    campaign = (await make_campaign(app, threshold=10, onward_invites=5)).campaign
    [code] = await make_codes(app, campaign, 1)
    assert len((await sign(client, "walkout", code, "Ada")).json()["invite_codes"]) == 5
    again = await sign(client, "walkout", code, "Mallory")
    assert again.status_code == 403
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 5


async def test_onward_codes_carry_their_generation_and_nothing_links_them(app, client):
    campaign = (await make_campaign(app, threshold=40, onward_invites=2, invite_depth=2)).campaign
    [code] = await make_codes(app, campaign, 1)
    assert [row.generation for row in await InviteCode.filter(campaign_id=campaign.id)] == [0]
    first = (await sign(client, "walkout", code, "Ada")).json()["invite_codes"]
    assert sorted(r.generation for r in await InviteCode.filter(campaign_id=campaign.id)) == [1, 1]
    await sign(client, "walkout", first[0], "Grace")
    generations = sorted(r.generation for r in await InviteCode.filter(campaign_id=campaign.id))
    assert generations == [1, 2, 2]
    # The pledge row has no column for a code or a generation.
    assert not {"generation", "invite", "code_hash"} & set(Pledge._meta.fields_map)


@pytest.mark.parametrize(
    ("threshold", "onward", "depth", "refused"),
    [(6, 5, 1, True), (7, 5, 1, False), (31, 5, 2, True), (32, 5, 2, False), (2, 5, 0, False)],
)
async def test_creation_refuses_a_chain_that_reaches_the_threshold(
    app, client, threshold, onward, depth, refused
):
    options = {"threshold": threshold, "onward_invites": onward, "invite_depth": depth}
    if refused:
        with pytest.raises(Refused) as caught:
            await make_campaign(app, **options)
        message = caught.value.field_messages()["accept_chain_risk"]
        bound = policy.chain_bound(onward, depth)
        assert f"up to {bound} pledges" in message
        assert f"threshold of {threshold}" in message
        assert await Campaign.all().count() == 0
        made = (await make_campaign(app, accept_chain_risk=True, **options)).campaign
        assert policy.campaign_chain_risk(made).forces_reveal
        assert "could force the reveal" in policy.campaign_chain_risk(made).text
    else:
        await make_campaign(app, **options)
    assert await Campaign.all().count() == 1


def _form(**overrides: str) -> dict[str, str]:
    """One code chains to 1 + 5 pledges, the threshold of 6; no "I understand" box ticked."""
    values = campaign_form(
        threshold="6",
        onward_invites="5",
        invite_depth="1",
        keep_revealed_days="30",
        progress_display="exact",
    )
    del values["accept_chain_risk"]
    return {**values, **overrides}


async def test_the_web_form_asks_for_the_i_understand_box(client):
    await signed_in_organiser(client)
    form = await client.get("/organisers/campaigns/new")
    assert 'name="invite_depth"' in form.text
    assert 'name="accept_chain_risk"' in form.text
    refused = await post_form(client, "/organisers/campaigns/new", _form())
    assert refused.status_code == 422
    assert "up to 6 pledges" in refused.text
    assert "threshold of 6" in refused.text
    assert await Campaign.all().count() == 0
    for bad in ({"invite_depth": "4"}, {"keep_revealed_days": "0"}):
        response = await post_form(client, "/organisers/campaigns/new", _form(threshold="7", **bad))
        assert response.status_code == 422, bad
    assert await Campaign.all().count() == 0
    accepted = await post_form(client, "/organisers/campaigns/new", _form(accept_chain_risk="1"))
    assert accepted.status_code == 303
    detail = await client.get("/organisers/campaigns/walkout")
    assert "can add at most 6 pledges" in detail.text
    assert "could force the reveal" in detail.text


async def test_the_organiser_page_states_the_bound_and_open_mode(app, client):
    await signed_in_organiser(client)
    await make_campaign(app, threshold=10, onward_invites=5)
    detail = await client.get("/organisers/campaigns/walkout")
    assert "can add at most 6 pledges" in detail.text
    assert "only 4 real coworkers have signed" in detail.text
    await make_campaign(app, slug="open", invite_mode="open")
    detail = await client.get("/organisers/campaigns/open")
    assert "anyone" in detail.text
    assert "forcing a reveal" in detail.text
