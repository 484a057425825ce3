"""Numbers typed into forms (only ASCII digits), the organiser's page (no exact event times) and
the gatekeeper shares page (the creating organiser is the trusted dealer)."""

from __future__ import annotations

import re

import pytest

from organise.campaigns import policy
from organise.campaigns.models import Campaign, InviteCode, LifecycleEvent, Pledge
from organise.weeks import week_of
from tests.campaigns.conftest import (
    create_through_form,
    make_campaign,
    make_codes,
    pledge_key_names,
    sign_with_new_codes,
)
from tests.support import post_form, signed_in_organiser

# Superscript two (str.isdigit() says yes, int() refuses), Arabic-Indic three (int() gives 3),
# fullwidth one.
NOT_ASCII_DIGITS = ["²", "٣", "１"]


@pytest.mark.parametrize("typed", [*NOT_ASCII_DIGITS, "3.0", "-3", "1234567890"])
async def test_a_personal_threshold_must_be_ascii_digits(app, client, typed):
    campaign = (await make_campaign(app)).campaign
    (code,) = await make_codes(app, campaign, 1)
    response = await post_form(
        client,
        "/campaigns/walkout/sign",
        {"name": "Rosa", "invite_code": code, "personal_threshold": typed},
    )
    assert response.status_code == 422
    assert "Your own threshold must be a whole number" in response.text
    assert await Pledge.filter(campaign_id=campaign.id).count() == 0
    assert pledge_key_names(app, campaign) == []
    assert await InviteCode.filter(campaign_id=campaign.id).count() == 1


@pytest.mark.parametrize(
    ("field", "label"),
    [
        ("threshold", "Threshold"),
        ("cooling_off_hours", "Cooling-off period (hours)"),
        ("onward_invites", "Onward invite codes"),
        ("gatekeepers", "Gatekeepers"),
        ("gatekeepers_required", "Gatekeepers required"),
    ],
)
@pytest.mark.parametrize("typed", NOT_ASCII_DIGITS)
async def test_campaign_form_numbers_must_be_ascii_digits(client, field, label, typed):
    await signed_in_organiser(client)
    response = await create_through_form(
        client, gate_mode="server_and_gatekeepers", **{field: typed}
    )
    assert response.status_code == 422
    assert f"{label} must be a whole number" in response.text
    assert await Campaign.all().count() == 0


@pytest.mark.parametrize(
    "deadline", ["9999-12-31T23:59-05:00", "0001-01-01T00:00+05:00", "9999-12-31T23:59"]
)
async def test_a_deadline_at_the_end_of_the_calendar_is_refused(client, deadline):
    await signed_in_organiser(client)
    response = await create_through_form(client, deadline=deadline)
    assert response.status_code == 422
    assert "deadline" in response.text
    assert await Campaign.all().count() == 0


@pytest.mark.parametrize("typed", NOT_ASCII_DIGITS)
async def test_an_invite_count_must_be_ascii_digits(client, typed):
    await signed_in_organiser(client)
    await create_through_form(client)
    response = await post_form(
        client, "/organisers/campaigns/walkout/invites", {"count": typed, "format": "html"}
    )
    assert response.status_code == 422
    assert "Generate between 1 and" in response.text
    assert await InviteCode.all().count() == 0


@pytest.mark.parametrize("typed", ["²/3", "2/٣", "２/3"])
def test_gatekeepers_on_the_command_line_must_be_ascii_digits(typed):
    with pytest.raises(ValueError, match="K/N"):
        policy.policy_from_choice(typed, server_required=True)


async def test_the_organiser_page_shows_event_times_to_the_week_only(app, client):
    await signed_in_organiser(client)
    campaign = (await make_campaign(app, cooling_off_hours=48)).campaign
    await sign_with_new_codes(app, client, campaign, 3)
    page = await client.get("/organisers/campaigns/walkout")
    assert page.status_code == 200
    events = await LifecycleEvent.filter(campaign_id=campaign.id)
    assert len(events) == 2  # created, threshold reached
    for event in events:
        assert event.at.strftime("%Y-%m-%d %H:%M") not in page.text
        assert f"week of {week_of(event.at).isoformat()}" in page.text
    ends = (await Campaign.get(id=campaign.id)).cooling_off_ends_at
    shown = re.search(r"ends by (\d{4}-\d\d-\d\d \d\d:\d\d) UTC", page.text).group(1)
    assert shown.endswith(":00")
    if ends.minute or ends.second or ends.microsecond:
        assert ends.strftime("%Y-%m-%d %H:%M") not in page.text


async def test_the_shares_page_says_the_organiser_is_the_trusted_dealer(client):
    await signed_in_organiser(client)
    response = await create_through_form(client, gate_mode="server_and_gatekeepers")
    assert response.status_code == 200
    assert "You are the trusted dealer of these shares." in response.text
    assert "Keep no copy" in response.text
    assert "Hand each sheet to its gatekeeper yourself" in response.text
    assert response.text.count('<section class="share-sheet"') == 3
    assert response.text.count("cut here") == 6
