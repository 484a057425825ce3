"""A campaign's title and demand in several languages: given by the organisers' form and JSON
API, shown to a worker in their language or in the default one with a note, fixed with the rest
of the wording once someone has signed, and printed on invite slips and gatekeeper sheets in the
language the organiser picks.

The app serves English, French and German (the `app` fixture), whether or not their catalogues
are complete yet; a page is read in French under /fr/.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette

from organise.app import create_app
from organise.campaigns import fields
from organise.campaigns.models import Campaign
from organise.i18n import scope, written
from organise.settings import Settings
from tests.campaigns.conftest import campaign_form, make_campaign, make_codes, sign
from tests.campaigns.test_organiser_api import API, new_campaign
from tests.support import api_token_headers, post_form, signed_in_organiser

FRENCH = {"title": "Quitter le projet Lantern", "demand": "Nous ne le construirons pas."}
NOTE = "This campaign is written in"


SITE = ("en", "de", "fr")


@pytest.fixture(autouse=True)
def languages(monkeypatch: pytest.MonkeyPatch) -> None:
    # Translations are taken for these languages only (not every catalogue in the checkout).
    for module in (written, fields, scope):
        monkeypatch.setattr(module, "languages", lambda: SITE)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(dataclasses.replace(settings, languages=SITE))


def _error(response: httpx.Response) -> dict[str, Any]:
    error: dict[str, Any] = response.json()["error"]
    return error


async def test_the_public_page_shows_the_readers_language_or_the_default_with_a_note(app, client):
    await make_campaign(app, translations={"fr": FRENCH})
    english = await client.get("/campaigns/walkout")
    assert "Walk out of Project Lantern" in english.text
    assert FRENCH["title"] not in english.text
    assert NOTE not in english.text
    french = await client.get("/fr/campaigns/walkout")
    signing = await client.get("/fr/campaigns/walkout/sign", follow_redirects=True)
    assert f"<h1>{FRENCH['title']}</h1>" in french.text
    assert FRENCH["demand"] in french.text
    assert "We will not build it." not in french.text
    assert NOTE not in french.text
    assert FRENCH["title"] in signing.text
    german = await client.get("/de/campaigns/walkout")  # no German words: the default ones
    assert "Walk out of Project Lantern" in german.text
    assert "We will not build it." in german.text
    assert "Diese Kampagne ist auf Englisch verfasst." in german.text  # said in German
    assert 'lang="en"' in german.text  # the organisers' words are marked as English
    listed = await client.get("/campaigns/")
    assert "Walk out of Project Lantern" in listed.text
    listed = await client.get("/fr/campaigns/")
    assert FRENCH["title"] in listed.text


async def test_a_pledge_is_the_same_whatever_language_it_was_read_in(app, client):
    created = await make_campaign(app, translations={"fr": FRENCH})
    codes = await make_codes(app, created.campaign, 2)
    signed = await sign(client, "walkout", codes[0], "Sam")
    assert signed.status_code == 201, signed.text
    assert (await sign(client, "walkout", codes[1], "Alex")).status_code == 201
    assert (await Campaign.get(slug="walkout")).pledge_count == 2
    form = await post_form(client, "/fr/pledges/status", {"receipt": signed.json()["receipt"]})
    assert form.status_code == 200, form.text
    assert FRENCH["title"] in form.text


async def test_the_api_takes_translations_whole_and_refuses_what_is_wrong(app, client):
    headers = await api_token_headers(app, "dana")
    for wrong, place in (
        ({"fr": {"title": "Seulement un titre"}}, "translations.fr.demand"),
        ({"it": FRENCH}, "translations.?"),
        ({"en": FRENCH}, "translations.?"),
        ({"fr": {**FRENCH, "colour": "bleu"}}, "translations.fr.?"),
        ({"fr": {**FRENCH, "title": "x" * 201}}, "translations.fr.title"),
        ({"fr": "Quitter"}, "translations.fr"),
        (["fr"], "Translations"),
    ):
        refused = await client.post(API, json=new_campaign(translations=wrong), headers=headers)
        assert refused.status_code == 422, (wrong, refused.text)
        assert place in _error(refused)["fields"]["translations"], (wrong, refused.text)
    assert not await Campaign.exists(slug="walkout")  # nothing stored
    created = await client.post(
        API, json=new_campaign(translations={"fr": FRENCH}), headers=headers
    )
    assert created.status_code == 201, created.text
    assert created.json()["campaign"]["translations"] == {"fr": FRENCH}
    public = await client.get("/api/v1/campaigns/walkout")
    assert public.json()["translations"] == {"fr": FRENCH}


async def test_translations_change_with_the_wording_until_the_first_pledge(app, client):
    headers = await api_token_headers(app, "dana")
    assert (await client.post(API, json=new_campaign(), headers=headers)).status_code == 201
    changed = await client.patch(
        f"{API}/walkout", json={"translations": {"fr": FRENCH}}, headers=headers
    )
    assert changed.status_code == 200, changed.text
    assert (await Campaign.get(slug="walkout")).translations == {"fr": FRENCH}
    campaign = await Campaign.get(slug="walkout")
    (code,) = await make_codes(app, campaign, 1)
    assert (await sign(client, "walkout", code, "Sam")).status_code == 201
    refused = await client.patch(
        f"{API}/walkout",
        json={"translations": {"fr": {**FRENCH, "title": "Autre"}}},
        headers=headers,
    )
    assert refused.status_code == 409, refused.text
    assert (await Campaign.get(slug="walkout")).translations == {"fr": FRENCH}


async def test_the_form_takes_one_text_per_language_and_says_what_is_missing(app, client):
    await signed_in_organiser(client)
    form = (await client.get("/organisers/campaigns/new")).text
    for code in ("fr", "de"):
        assert f'name="translations.{code}.title"' in form
        assert f'name="translations.{code}.demand"' in form
    half = await post_form(
        client,
        "/organisers/campaigns/new",
        campaign_form(**{"translations.fr.title": FRENCH["title"]}),
    )
    assert half.status_code == 422, half.text
    assert "translations.fr.demand" in half.text
    assert FRENCH["title"] in half.text  # typed back beside the error
    assert not await Campaign.exists(slug="walkout")
    made = await post_form(
        client,
        "/organisers/campaigns/new",
        campaign_form(
            **{
                "translations.fr.title": FRENCH["title"],
                "translations.fr.demand": FRENCH["demand"],
                "translations.de.title": "",
                "translations.de.demand": "",
            }
        ),
    )
    assert made.status_code in (200, 303), made.text
    assert (await Campaign.get(slug="walkout")).translations == {"fr": FRENCH}
    detail = await client.get("/organisers/campaigns/walkout")
    assert f'value="{FRENCH["title"]}"' in detail.text  # the edit form, filled in


async def test_invite_slips_are_printed_in_the_language_picked(app, client):
    await signed_in_organiser(client)
    await make_campaign(app, translations={"fr": FRENCH})
    slips = await post_form(
        client,
        "/organisers/campaigns/walkout/invites",
        {"count": "2", "format": "html", "print_language": "fr"},
    )
    assert slips.status_code == 200, slips.text
    assert '<div lang="fr" dir="ltr">' in slips.text
    assert slips.text.count(f"<strong><bdi>{FRENCH['title']}</bdi></strong>") == 2
    # The address has no language prefix: paper does not say which language its holder reads.
    assert "/campaigns/walkout</code>" in slips.text
    assert "/fr/campaigns/walkout" not in slips.text
    codes = re.findall(r'<code class="secret">([0-9A-Z-]+)</code>', slips.text)
    assert len(codes) == 2
    # A code printed in French signs whatever the language of the page it is typed into.
    assert (await sign(client, "walkout", codes[0], "Sam")).status_code == 201
    unknown = await post_form(
        client,
        "/organisers/campaigns/walkout/invites",
        {"count": "2", "format": "html", "print_language": "xx"},
    )
    assert unknown.status_code == 422, unknown.text
    assert "<strong>" not in unknown.text


async def test_gatekeeper_sheets_are_printed_in_the_language_picked(app, client):
    await signed_in_organiser(client)
    made = await post_form(
        client,
        "/organisers/campaigns/new",
        campaign_form(
            gate_mode="server_and_gatekeepers",
            share_delivery="paper",
            print_language="fr",
            **{
                "translations.fr.title": FRENCH["title"],
                "translations.fr.demand": FRENCH["demand"],
            },
        ),
    )
    assert made.status_code == 200, made.text
    assert '<div lang="fr" dir="ltr">' in made.text
    assert made.text.count('class="share-sheet"') == 3
    assert made.text.count("/campaigns/walkout/gate") == 3
    assert "/fr/campaigns/walkout/gate" not in made.text
    assert FRENCH["title"] in made.text
