"""The server knows its own address: it answers only for it, and every absolute link carries it.

ORGANISE_PUBLIC_URL and ORGANISE_ONION_URL set: another `Host` gets a 400 that repeats it
nowhere; redirects, invite slips, gatekeeper sheets, share links and the API's `url` fields
carry the public address; every response through the public address names the onion service
in `Onion-Location`; Tor2web gateways are refused. Unset: links use the address the server is
bound to, and organisers are warned.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import AsyncIterator

import httpx
import pytest
from starlette.applications import Starlette

from organise.app import create_app
from organise.contracts.models import Employer
from organise.roles import Role
from organise.settings import Settings
from organise.web.addresses import configured_origin
from tests.campaigns.conftest import create_through_form, make_campaign
from tests.conftest import running_client
from tests.contracts.helpers import make_contract
from tests.support import (
    PASSPHRASE,
    SAME_ORIGIN,
    make_organiser,
    post_form,
    sign_in,
    signed_in_organiser,
)

PUBLIC = "https://organise.example"
ONION = "http://" + "a" * 56 + ".onion"
EVIL = "evil.example"


@pytest.fixture
def public_settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, public_url=PUBLIC, onion_url=ONION)


@pytest.fixture
def public_app(public_settings: Settings) -> Starlette:
    return create_app(public_settings)


@pytest.fixture
async def public_client(public_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    """A client of a server whose public address is PUBLIC (and onion service ONION)."""
    async with running_client(public_app, PUBLIC) as http:
        yield http


def _everything(response: httpx.Response) -> str:
    headers = "\n".join(f"{name}: {value}" for name, value in response.headers.multi_items())
    return headers + "\n" + response.text


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/"),
        ("GET", "/campaigns"),  # a missing slash: Starlette would redirect, from the Host
        ("GET", "/no-such-page"),
        ("GET", "/api/v1/contracts"),
        ("POST", "/organisers/login"),
        ("GET", "/leave"),
    ],
)
@pytest.mark.parametrize("host", [EVIL, f"{EVIL}:443", "organise.example:8443", "[", ""])
async def test_a_foreign_host_gets_400_and_is_repeated_nowhere(
    public_client, caplog, method, path, host
):
    caplog.set_level(logging.DEBUG)
    response = await public_client.request(
        method, path, headers={"Host": host, **SAME_ORIGIN}, data={"username": EVIL}
    )
    assert response.status_code == 400
    assert "does not answer to the address" in response.text or "bad_request" in response.text
    assert "location" not in response.headers
    assert "set-cookie" not in response.headers
    if host:
        assert host not in _everything(response)
        assert host not in caplog.text
    assert EVIL not in _everything(response)
    assert EVIL not in caplog.text


async def test_the_public_and_onion_hosts_are_answered(public_client):
    for host in ("organise.example", "organise.example:443", "ORGANISE.example", ONION[7:]):
        response = await public_client.get("/", headers={"Host": host})
        assert response.status_code == 200, host


def test_one_host_header_exactly(public_settings):
    settings = public_settings
    one = {"type": "http", "headers": [(b"host", b"organise.example")]}
    two = {"type": "http", "headers": [(b"host", b"organise.example"), (b"host", EVIL.encode())]}
    none: dict[str, object] = {"type": "http", "headers": []}
    assert configured_origin(settings, one) == PUBLIC
    assert configured_origin(settings, two) is None
    assert configured_origin(settings, none) is None


async def test_redirects_carry_the_public_address(public_client):
    await make_organiser()
    signed_in = await sign_in(public_client)
    assert signed_in.headers["location"] == f"{PUBLIC}/organisers/"
    public_client.cookies.clear()
    assert (await public_client.get("/organisers/")).headers["location"] == (
        f"{PUBLIC}/organisers/login"
    )
    slash = await public_client.get("/campaigns")
    assert slash.headers["location"] == f"{PUBLIC}/campaigns/"
    # Through the onion service, the onion address: a visitor there stays there.
    onion = await public_client.get("/campaigns", headers={"Host": ONION[7:]})
    assert onion.headers["location"] == f"{ONION}/campaigns/"


async def test_behind_a_proxy_that_does_not_say_https_the_public_https_address_wins(
    public_app,
):
    # TLS ends at a proxy that passes plain HTTP on: the browser is still on https.
    async with running_client(public_app, "http://organise.example") as http:
        await make_organiser()
        signed_in = await sign_in(http)
        page = await http.get("/")
    assert signed_in.headers["location"] == f"{PUBLIC}/organisers/"
    cookie = signed_in.headers["set-cookie"]
    assert cookie.startswith("__Host-organise_session=")
    assert "secure" in cookie.lower()
    assert page.headers["strict-transport-security"].startswith("max-age=")


async def test_writes_must_come_from_the_public_or_onion_origin(public_client):
    await make_organiser()
    login = {"username": "alex", "passphrase": PASSPHRASE}
    for origin, host, expected in [
        (PUBLIC, "organise.example", 303),
        ("http://organise.example", "organise.example", 403),  # not the public scheme
        (f"https://{EVIL}", "organise.example", 403),
        (ONION, ONION[7:], 303),
    ]:
        response = await public_client.post(
            "/organisers/login", data=login, headers={"Origin": origin, "Host": host}
        )
        assert response.status_code == expected, origin
        public_client.cookies.clear()


async def test_every_response_through_the_public_address_names_the_onion_service(public_client):
    page = await public_client.get("/contracts/?agency=Police%20Dept&page=1")
    assert page.headers["onion-location"] == f"{ONION}/contracts/?agency=Police%20Dept&page=1"
    for path in ("/", "/no-such-page", "/api/v1/taxonomy", "/static/organise.css"):
        response = await public_client.get(path)
        assert response.headers["onion-location"] == ONION + path
    # Escapes stay escaped: nothing a visitor puts in the path can end the header.
    odd = await public_client.get("/a%0d%0aSet-Cookie:%20x=1")
    assert odd.headers["onion-location"] == f"{ONION}/a%0d%0aSet-Cookie:%20x=1"
    assert "set-cookie" not in odd.headers
    through_onion = await public_client.get("/", headers={"Host": ONION[7:]})
    assert "onion-location" not in through_onion.headers


async def test_no_onion_location_without_an_onion_service(client):
    assert "onion-location" not in (await client.get("/")).headers


async def _refused_as_tor2web(http: httpx.AsyncClient) -> str:
    for path in ("/", "/campaigns/", "/reports/new"):
        response = await http.get(path, headers={"X-Tor2web": "encrypted"})
        assert response.status_code == 403
        assert "Tor2web gateway" in response.text
        assert "sees your address and everything you read and send" in response.text
        assert "Tor Browser" in response.text
    posted = await http.post(
        "/api/v1/reports", json={"details": "x"}, headers={"X-Tor2web": "encrypted"}
    )
    assert posted.status_code == 403
    assert "Tor2web" in posted.json()["error"]["message"]
    return response.text


async def test_tor2web_gateways_are_refused_with_a_reason(client):
    assert "onion address" not in await _refused_as_tor2web(client)


async def test_tor2web_refusal_names_the_onion_service(public_client):
    assert f"Its onion address: {ONION}" in await _refused_as_tor2web(public_client)


async def _print_slips(http: httpx.AsyncClient, count: int) -> str:
    slips = await post_form(
        http, "/organisers/campaigns/walkout/invites", {"count": str(count), "format": "html"}
    )
    assert slips.status_code == 200
    return slips.text


async def test_invite_slips_carry_the_public_and_onion_addresses(public_app, public_client):
    await make_campaign(public_app)
    transport = httpx.ASGITransport(app=public_app)
    async with httpx.AsyncClient(transport=transport, base_url=ONION) as through_onion:
        for http in (public_client, through_onion):  # printed from either: the same slip
            await sign_in(http)
            slips = await _print_slips(http, 2)
            # The address to type in Tor Browser (and the one the QR code holds) is the onion.
            assert slips.count(f"type the code there: <code>{ONION}/campaigns/walkout</code>") == 2
            assert slips.count(f"Or, without Tor Browser: {PUBLIC}/campaigns/walkout<") == 2
            assert "ORGANISE_PUBLIC_URL is not set" not in slips


async def test_gatekeeper_sheets_and_share_links_carry_the_public_address(public_client):
    await signed_in_organiser(public_client)
    sheets = await create_through_form(
        public_client, gate_mode="server_and_gatekeepers", share_delivery="paper"
    )
    assert sheets.status_code == 200
    assert sheets.text.count(f"The gatekeeper page: {PUBLIC}/campaigns/walkout/gate") == 3
    assert sheets.text.count(f"Or, in Tor Browser: {ONION}/campaigns/walkout/gate") == 3
    delivered = await create_through_form(
        public_client, slug="linked", gate_mode="server_and_gatekeepers", share_delivery="links"
    )
    links = re.findall(r'<code class="secret">([^<]+)</code>', delivered.text)
    assert len(links) == 3
    assert all(link.startswith(f"{PUBLIC}/shares/") for link in links)
    detail = await public_client.get("/organisers/campaigns/walkout")
    assert f"{PUBLIC}/campaigns/walkout" in detail.text


async def test_contract_api_urls_carry_the_public_address(public_client):
    axon = await Employer.create(name="Axon", slug="axon", key="axon")
    for n in range(51):
        await make_contract(axon, agency=f"Agency {n:02d}")
    for host, base in (("organise.example", PUBLIC), (ONION[7:], ONION)):
        page = (await public_client.get("/api/v1/contracts", headers={"Host": host})).json()
        assert page["next"] == f"{base}/api/v1/contracts?page=2"
        assert page["items"][0]["url"].startswith(f"{base}/contracts/")
        assert page["items"][0]["employers"][0]["url"] == f"{base}/contracts/employers/axon"
    exported = (await public_client.get("/contracts/export.csv")).text
    assert f"{PUBLIC}/contracts/" in exported


async def test_pages_link_by_path_so_they_follow_the_address_they_were_opened_at(public_client):
    page = (await public_client.get("/", headers={"Host": ONION[7:]})).text
    assert 'href="/campaigns/"' in page
    assert "organise.example" not in page
    assert 'href="/static/organise.css"' in page


async def test_without_a_public_address_no_host_is_believed(client, caplog):
    caplog.set_level(logging.DEBUG)
    await make_organiser()
    headers = {"Host": EVIL}
    page = await client.get("/", headers=headers)
    slash = await client.get("/campaigns", headers=headers)
    signed_in = await client.post(
        "/organisers/login",
        data={"username": "alex", "passphrase": PASSPHRASE},
        headers={**headers, **SAME_ORIGIN},
    )
    assert page.status_code == 200
    assert EVIL not in _everything(page)
    # The address the server is bound to (the test transport's), never the header.
    assert slash.headers["location"] == "http://testserver/campaigns/"
    assert signed_in.headers["location"] == "http://testserver/organisers/"
    assert EVIL not in caplog.text


@pytest.mark.parametrize("role", [Role.ORGANISER, Role.ADMIN, Role.REVIEWER])
async def test_the_organiser_home_warns_while_the_public_address_is_unset(client, role):
    await signed_in_organiser(client, role=role)
    home = (await client.get("/organisers/")).text
    assert "ORGANISE_PUBLIC_URL is not set" in home
    assert "Invite slips, gatekeeper sheets and the links it gives out point to" in home
    assert "http://testserver" in home


async def test_the_invite_page_warns_while_the_public_address_is_unset(app, client):
    await make_campaign(app)
    await sign_in(client)
    slips = await _print_slips(client, 1)
    assert "ORGANISE_PUBLIC_URL is not set" in slips
    assert "type the code there: <code>http://testserver/campaigns/walkout</code>" in slips
    assert "Or, without Tor Browser" not in slips


async def test_no_warning_once_the_public_address_is_set(public_client):
    await signed_in_organiser(public_client)
    assert "ORGANISE_PUBLIC_URL is not set" not in (await public_client.get("/organisers/")).text
