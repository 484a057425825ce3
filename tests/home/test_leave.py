"""A way out: "Leave now" on every worker page, and /leave, which clears and goes elsewhere.

And the home page's "Staying safe": personal devices, Tor Browser, Tor2web, and what "Leave now"
cannot do (the history stays) with how to clear it.
"""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import Iterator

from starlette.applications import Starlette
from starlette.routing import BaseRoute, Mount, Route

from crypto.gate import GatePolicy
from organise.app import create_app
from organise.campaigns.setup import ShareDelivery
from organise.contracts.models import Employer
from organise.settings import DEFAULT_LEAVE_URL, Settings
from organise.web.access import policy_of
from tests.campaigns.conftest import make_campaign
from tests.conftest import running_client
from tests.contracts.helpers import make_contract
from tests.support import post_form, signed_in_organiser
from tests.surveys.conftest import make_survey

LEAVE_LINK = re.compile(r'<div class="leave"[^>]*><a href="/leave"[^>]*>Leave now</a></div>')
# Not pages: JSON, files, and the way out itself.
NOT_PAGES = ("/api/", "/static", "/leave", "/contracts/export.csv")


def _routes(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount) and route.routes:
            yield from _routes(route.routes, prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def worker_page_paths(app: Starlette) -> list[str]:
    """Every public page a browser can open (GET), from the routing table."""
    paths = []
    for path, route in _routes(app.routes):
        policy = policy_of(route.endpoint)
        if policy is None or not policy.is_public or "GET" not in (route.methods or ()):
            continue
        if not path.startswith(NOT_PAGES):
            paths.append(path)
    return paths


async def test_leave_clears_site_data_and_goes_to_a_neutral_site(client):
    response = await client.get("/leave")
    assert response.status_code == 303
    assert response.headers["location"] == DEFAULT_LEAVE_URL == "https://weather.com/"
    assert response.headers["clear-site-data"] == '"cache", "storage"'
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "set-cookie" not in response.headers
    # The destination is the setting's alone: nothing a visitor sends changes it.
    sent = await client.get("/leave?next=https://evil.example", headers={"Referer": "x"})
    assert sent.headers["location"] == DEFAULT_LEAVE_URL


async def test_the_neutral_site_is_a_setting(settings: Settings):
    app = create_app(dataclasses.replace(settings, leave_url="https://www.bbc.co.uk/weather"))
    async with running_client(app) as http:
        response = await http.get("/leave")
    assert response.headers["location"] == "https://www.bbc.co.uk/weather"


async def test_every_worker_page_links_to_leave(app, client):
    employer = await Employer.create(name="Axon", slug="axon", key="axon")
    contract = await make_contract(employer)
    created = await make_campaign(
        app,
        gate=GatePolicy("server_and_gatekeepers", 3, 2),
        delivery=ShareDelivery(links=True),
    )
    await make_survey(app, slug="walkout")
    values = {
        "{slug}": "walkout",
        "{contract_id:uuid}": str(contract.id),
        "{secret}": created.share_links[0],
    }
    paths = worker_page_paths(app)
    assert len(paths) >= 14
    walked = []
    for path in paths:
        url = path.replace("/contracts/employers/{slug}", "/contracts/employers/axon")
        for placeholder, value in values.items():
            url = url.replace(placeholder, value)
        # Worker forms first move to an address carrying a fresh submission token.
        response = await client.get(url, follow_redirects=True)
        # /surveys/ is a page saying why surveys are not listed, with a 404 (docs/surveys.md).
        assert response.status_code == (404 if url == "/surveys/" else 200), url
        assert response.headers["content-type"].startswith("text/html"), url
        assert LEAVE_LINK.search(response.text), url
        walked.append(url)
    assert "/" in walked
    assert "/surveys/" in walked
    assert "/campaigns/walkout/sign" in walked
    assert f"/shares/{created.share_links[0]}" in walked


async def test_pages_answering_forms_and_errors_link_to_leave_too(client):
    refused = await post_form(client, "/pledges/status", {"receipt": "not a receipt"})
    assert refused.status_code >= 400
    assert LEAVE_LINK.search(refused.text)
    missing = await client.get("/no-such-page")
    assert missing.status_code == 404
    assert LEAVE_LINK.search(missing.text)


async def test_organiser_pages_do_not_offer_it(client):
    await signed_in_organiser(client)
    for path in ("/organisers/", "/organisers/campaigns/", "/organisers/dashboard/"):
        page = await client.get(path)
        assert page.status_code == 200, path
        assert 'href="/leave"' not in page.text, path


async def test_the_home_page_says_how_to_stay_safe(client):
    page = html.unescape((await client.get("/")).text)
    section = page[
        page.index('<h2 id="safe">') : page.index('<section aria-labelledby="protects">')
    ]
    assert "Staying safe" in section
    assert "never a work device, a work network or a work account" in section
    assert "Tor Browser hides your address" in section
    assert '"Tor2web" gateway' in section
    assert "This site refuses to answer through one" in section
    # What "Leave now" does not do, and how to do it by hand.
    assert "history still lists the pages you opened here" in section
    assert "New Identity" in section
    assert "Ctrl+Shift+Delete" in section
    assert "Clear History and Website Data" in section
    assert "use our onion address" not in section  # none is set here


async def test_the_home_page_gives_the_onion_address_for_tor_browser(settings: Settings):
    onion = "http://" + "a" * 56 + ".onion"
    public = dataclasses.replace(settings, public_url="https://organise.example", onion_url=onion)
    async with running_client(create_app(public), "https://organise.example") as http:
        page = (await http.get("/")).text
    assert f'In Tor Browser, use our onion address: <code class="address">{onion}</code>' in page
