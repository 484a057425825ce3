"""A language is chosen by the address alone: `/fr/...`; never by a cookie or a redirect."""

from __future__ import annotations

import dataclasses
import re

import pytest

from organise.app import create_app
from organise.i18n import translations
from organise.web import languages as page_languages
from tests.campaigns.conftest import make_campaign, make_codes
from tests.conftest import running_client
from tests.i18n.conftest import OTHER_LANGUAGES
from tests.support import post_form

RECEIPT = re.compile(r'<code class="secret" id="receipt">([a-z-]+)</code>')


def html_tag(page: str) -> str:
    return re.search(r"<html[^>]*>", page).group(0)


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_each_language_serves_the_worker_pages_under_its_prefix(client, code):
    page = await client.get(f"/{code}/")
    assert page.status_code == 200
    direction = "rtl" if code == "ar" else "ltr"
    assert html_tag(page.text) == f'<html lang="{code}" dir="{direction}">'
    # Links to worker pages keep the language; organiser pages and static files have one address.
    assert f'href="/{code}/campaigns/"' in page.text
    assert f'href="/{code}/reports/new"' in page.text
    assert 'href="/organisers/login"' in page.text
    assert 'href="/static/organise.css"' in page.text
    assert "set-cookie" not in page.headers
    assert translations(code).gettext("Leave now") in page.text


async def test_unprefixed_addresses_stay_english(client):
    page = await client.get("/campaigns/")
    assert page.status_code == 200
    assert html_tag(page.text) == '<html lang="en" dir="ltr">'
    assert "translation-unreviewed" not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/fr/organisers/login",
        "/fr/organisers/campaigns/walkout",
        "/fr/api/v1/openapi.json",
        "/fr/api/v1/campaigns/walkout",
        "/fr/static/organise.css",
        "/en/",
        "/fr/no-such-page",
    ],
)
async def test_only_worker_pages_have_a_language_address(client, path):
    if path.startswith("/fr/") and "fr" not in OTHER_LANGUAGES:
        pytest.skip("no French catalogue")
    answer = await client.get(path)
    assert answer.status_code == 404
    assert "set-cookie" not in answer.headers
    if path.startswith("/fr/"):
        # The 404 itself speaks the language of the address.
        assert '<html lang="fr"' in answer.text


async def test_the_bare_prefix_goes_to_that_languages_home(client):
    answer = await client.get(f"/{OTHER_LANGUAGES[0]}")
    assert answer.status_code == 308
    assert answer.headers["location"] == f"/{OTHER_LANGUAGES[0]}/"


async def test_a_language_not_enabled_has_no_address(settings):
    app = create_app(dataclasses.replace(settings, languages=("en",)))
    async with running_client(app) as client:
        for code in OTHER_LANGUAGES:
            assert (await client.get(f"/{code}/")).status_code == 404
        home = await client.get("/")
        assert 'class="languages"' not in home.text  # no menu with one language


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_accept_language_only_suggests_a_link(client, code):
    page = await client.get("/campaigns/", headers={"Accept-Language": f"{code}-XX, en;q=0.5"})
    assert page.status_code == 200  # no redirect
    assert html_tag(page.text).startswith('<html lang="en"')
    assert "set-cookie" not in page.headers
    assert "Accept-Language" in page.headers["vary"]
    suggestion = re.search(r'<p class="language-suggestion">(.*?)</p>', page.text).group(1)
    assert f'href="/{code}/campaigns/"' in suggestion
    assert f'hreflang="{code}"' in suggestion
    # Written in the suggested language, whatever the page's.
    assert translations(code).gettext("This page exists in English.") in suggestion
    # Already in that language: nothing to suggest.
    same = await client.get(f"/{code}/campaigns/", headers={"Accept-Language": code})
    assert "language-suggestion" not in same.text


async def test_no_suggestion_for_a_language_we_do_not_have(client):
    page = await client.get("/", headers={"Accept-Language": "xx, *;q=0.1"})
    assert "language-suggestion" not in page.text
    weird = await client.get("/", headers={"Accept-Language": "fr;q=abc, ;;, 中文".encode()})
    assert weird.status_code == 200


async def test_the_menu_links_the_same_page_in_every_language(app, client):
    await make_campaign(app)
    code = OTHER_LANGUAGES[0]
    page = await client.get(f"/{code}/campaigns/walkout?x=1")
    menu = re.search(r'<nav class="languages"[^>]*>(.*?)</nav>', page.text, re.S).group(1)
    assert 'href="/campaigns/walkout?x=1" lang="en" hreflang="en"' in menu
    for other in OTHER_LANGUAGES:
        assert f'href="/{other}/campaigns/walkout?x=1"' in menu
    assert f'aria-current="page" lang="{code}"' in menu
    assert "العربية" in menu or "ar" not in OTHER_LANGUAGES  # each name in its own language


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_an_unreviewed_translation_says_so_and_links_to_english(client, monkeypatch, code):
    page = await client.get(f"/{code}/reports/follow-up", follow_redirects=True)
    notice = re.search(r'<p class="notice translation-unreviewed">(.*?)</p>', page.text).group(1)
    assert 'href="/reports/follow-up?t=' in notice
    assert 'hreflang="en"' in notice
    monkeypatch.setattr(page_languages, "review_status", lambda _code: {"by": "A", "date": "2026"})
    reviewed = await client.get(f"/{code}/")
    assert "translation-unreviewed" not in reviewed.text


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
async def test_forms_post_to_the_prefixed_address_and_answer_in_its_language(app, client, code):
    campaign = (await make_campaign(app)).campaign
    [invite] = await make_codes(app, campaign, 1)
    form = await client.get(f"/{code}/campaigns/walkout/sign", follow_redirects=True)
    address = form.url.raw_path.decode()
    assert address.startswith(f"/{code}/campaigns/walkout/sign?t=")
    assert f'action="{address}"' in form.text
    signed = await post_form(client, address, {"name": "Rosa", "invite_code": invite})
    assert signed.status_code == 200
    assert html_tag(signed.text).startswith(f'<html lang="{code}"')
    assert "set-cookie" not in signed.headers
    assert RECEIPT.search(signed.text)
    # The address to write down with the receipt carries no language: paper must not say it.
    assert "/pledges/status</code>" in signed.text
    assert f"/{code}/pledges/status</code>" not in signed.text
    # A form from another site is still refused, in the language of the address.
    refused = await client.post(
        address, data={"name": "Eve"}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert refused.status_code == 403
    assert html_tag(refused.text).startswith(f'<html lang="{code}"')


async def test_a_receipt_works_whatever_the_language_it_was_issued_in(app, client):
    if not {"de", "ar"} <= set(OTHER_LANGUAGES):
        pytest.skip("needs the German and Arabic catalogues")
    campaign = (await make_campaign(app)).campaign
    [invite] = await make_codes(app, campaign, 1)
    form = await client.get("/de/campaigns/walkout/sign", follow_redirects=True)
    signed = await post_form(
        client, form.url.raw_path.decode(), {"name": "Rosa", "invite_code": invite}
    )
    [receipt] = RECEIPT.findall(signed.text)
    status = await post_form(client, "/ar/pledges/status", {"receipt": receipt})
    assert status.status_code == 200
    assert html_tag(status.text) == '<html lang="ar" dir="rtl">'
    recorded = (
        "Your pledge is recorded and sealed: nobody can read it yet. "
        "You can withdraw it until the reveal."
    )
    assert translations("ar").gettext(recorded) in status.text
    # And in English, unprefixed.
    english = await post_form(client, "/pledges/status", {"receipt": receipt})
    assert recorded in english.text


async def test_a_title_inside_a_translated_sentence_is_isolated_and_escaped(app, client):
    code = "ar" if "ar" in OTHER_LANGUAGES else OTHER_LANGUAGES[0]
    campaign = (await make_campaign(app, title="<i>Lantern</i> (2027)")).campaign
    [invite] = await make_codes(app, campaign, 1)
    form = await client.get(f"/{code}/campaigns/walkout/sign", follow_redirects=True)
    signed = await post_form(
        client, form.url.raw_path.decode(), {"name": "Rosa", "invite_code": invite}
    )
    assert "<bdi>&lt;i&gt;Lantern&lt;/i&gt; (2027)</bdi>" in signed.text
    assert "<i>Lantern" not in signed.text


async def test_a_page_that_does_not_exist_is_a_worker_page_in_every_language(client):
    code = OTHER_LANGUAGES[0]
    missing = await client.get(f"/{code}/no-such-page")
    assert missing.status_code == 404
    assert 'class="languages"' in missing.text
    assert 'href="/no-such-page" lang="en" hreflang="en"' in missing.text
    organisers = await client.get(f"/{code}/organisers/login")
    assert 'class="languages"' not in organisers.text


@pytest.mark.parametrize(
    "path", ["/fr//elsewhere.example/x", "/fr/%2F%2Felsewhere.example", "/de/%5Celsewhere.example"]
)
async def test_no_address_can_make_the_language_links_point_to_another_site(client, path):
    # An employer could mail workers such an address on the real site: the 404 page's menu,
    # its "read in English" link and the suggestion must stay on this site.
    page = await client.get(path, headers={"Accept-Language": "de"})
    assert page.status_code == 404
    links = re.findall(r'href="([^"]*)"', page.text)
    assert links
    for link in links:
        assert not link.startswith("//"), link
        assert "\\" not in link, link
        assert not re.match(r"^[a-z]+:", link), link
