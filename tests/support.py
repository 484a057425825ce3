"""Helpers the tests share (fixtures live in conftest.py)."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import httpx
import pyotp
from starlette.applications import Starlette

from organise.organisers import accounts, enrolment, tokens
from organise.organisers.models import Organiser
from organise.roles import Role

PASSPHRASE = "granite orchard lantern velvet"
GATEKEEPER_PASSPHRASE = "harbour thistle copper meadow"
SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}


def valid_report(details: str, **more: Any) -> dict[str, Any]:
    """A report `POST /api/v1/reports` accepts: the required fields, plus `more`."""
    return {
        "employer": "Examplecorp",
        "agency": "Springfield Police Department",
        "agency_type": "police",
        "country": "US",
        "technologies": ["face-recognition"],
        "status": "known-internally",
        "relation": "current-employee",
        "details": details,
        **more,
    }


async def make_organiser(username: str = "alex", role: Role = Role.ORGANISER) -> Organiser:
    """A new account; or, if a campaign helper already made it as a campaign's owner
    (`campaign_owner`), that account given `role`."""
    existing = await Organiser.get_or_none(username=username)
    if existing is not None:
        existing.role = role
        await existing.save(update_fields=["role"])
        return existing
    return await accounts.create_organiser(username, role, PASSPHRASE)


async def make_gatekeeper(app: Starlette, username: str) -> tuple[Organiser, str]:
    """An enrolled gatekeeper, and the enrolment code the admin who created it saw."""
    _pending, code = await enrolment.create_pending(
        username, Role.GATEKEEPER, pepper=app.state.runtime.code_pepper
    )
    organiser = await enrolment.redeem(
        enrolment.Enrolment(code, username, GATEKEEPER_PASSPHRASE, GATEKEEPER_PASSPHRASE),
        pepper=app.state.runtime.code_pepper,
    )
    return organiser, code


async def api_token_headers(
    app: Starlette, username: str = "dana", role: Role = Role.ORGANISER
) -> dict[str, str]:
    """The Authorization header of an API token of an account `username` with `role` (made
    as `make_organiser` does)."""
    organiser = await make_organiser(username, role)
    _row, token = await tokens.create_token(
        organiser, "tests", secret_key=app.state.runtime.secret_key
    )
    return {"Authorization": f"Bearer {token}"}


async def campaign_owner(username: str = "alex") -> Organiser:
    """The owner every campaign made by the test helpers gets: the account most tests sign in
    as (created on first use, with PASSPHRASE, so signing in as it works)."""
    existing = await Organiser.get_or_none(username=username)
    return existing or await accounts.create_organiser(username, Role.ORGANISER, PASSPHRASE)


async def signed_in_organiser(
    client: httpx.AsyncClient, username: str = "alex", role: Role = Role.ORGANISER
) -> Organiser:
    """An account (see `make_organiser`), signed in on `client`."""
    organiser = await make_organiser(username, role)
    await sign_in(client, username)
    return organiser


async def post_form(client: httpx.AsyncClient, url: str, data: Any = None) -> httpx.Response:
    """A form sent as a browser sends it from one of our own pages (same origin)."""
    return await client.post(url, data=data, headers=SAME_ORIGIN)


async def sign_in(
    client: httpx.AsyncClient, username: str = "alex", passphrase: str = PASSPHRASE, **extra: str
) -> httpx.Response:
    return await post_form(
        client, "/organisers/login", {"username": username, "passphrase": passphrase, **extra}
    )


async def turn_on_two_step(client: httpx.AsyncClient) -> list[str]:
    """Two-step sign-in turned on from the signed-in account's page (passphrase `PASSPHRASE`),
    as its owner does it with an authenticator app; the ten recovery codes it shows once."""
    page = await client.get("/organisers/totp")
    secret = re.search(r'name="secret" value="([A-Z2-7]{32})"', page.text).group(1)
    response = await post_form(
        client,
        "/organisers/totp",
        {"secret": secret, "code": pyotp.TOTP(secret).now(), "passphrase": PASSPHRASE},
    )
    assert response.status_code == 200
    shown = re.findall(r'<li><code class="secret">([0-9A-Z-]{19})</code></li>', response.text)
    assert len(shown) == 10
    return shown


@dataclass(frozen=True)
class Line:
    """One line of the account page's list of what waits ("Waiting for you")."""

    kind: str
    text: str
    href: str


_LINE = re.compile(r'<li data-kind="([^"]+)">(.*?) <a href="([^"]+)">', re.S)


def attention_section(page: str) -> str:
    """The "Waiting for you" section of an account page, as served."""
    start = page.index('<section aria-labelledby="attention"')
    return page[start : page.index("</section>", start)]


async def attention_lines(client: httpx.AsyncClient) -> list[Line]:
    """What the account page of the account signed in on `client` lists as waiting for it."""
    page = await client.get("/organisers/")
    assert page.status_code == 200, page.text[:500]
    return [
        Line(kind, html.unescape(text).strip(), html.unescape(href))
        for kind, text, href in _LINE.findall(attention_section(page.text))
    ]


async def attention_kinds(client: httpx.AsyncClient) -> list[str]:
    return [line.kind for line in await attention_lines(client)]


def browser(app: Starlette) -> httpx.AsyncClient:
    """Another browser on the running app (the `client` fixture runs its lifespan)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver")


async def attention_of(app: Starlette, username: str, passphrase: str = PASSPHRASE) -> list[Line]:
    """What `username`'s account page lists as waiting, seen from a browser of its own."""
    async with browser(app) as other:
        signed = await sign_in(other, username, passphrase)
        assert signed.status_code == 303, signed.text[:500]
        return await attention_lines(other)


async def kinds_of(app: Starlette, username: str, passphrase: str = PASSPHRASE) -> list[str]:
    return [line.kind for line in await attention_of(app, username, passphrase)]


def assert_too_many(response: httpx.Response, reason: str) -> None:
    """A 429 that says when to try again, and still says what was wrong."""
    assert response.status_code == 429, response.text[:500]
    seconds = int(response.headers["retry-after"])
    assert seconds >= 1
    if response.headers["content-type"].startswith("application/json"):
        error = response.json()["error"]
        assert error["code"] == "too_many_attempts"
        text = error["message"]
    else:
        text = response.text
    # When to try again, as Retry-After says: in seconds, or in minutes past two.
    wait = f"{seconds} second" if seconds < 120 else f"{-(-seconds // 60)} minute"
    assert re.search(rf"Please wait {wait}s? before trying again", text), text[:800]
    assert reason in text
