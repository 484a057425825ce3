"""Cross-site writes are refused by header, with no token, cookie or JavaScript."""

from __future__ import annotations

import pytest

from organise.organisers.models import OrganiserSession
from tests.support import PASSPHRASE, make_organiser

LOGIN = {"username": "alex", "passphrase": PASSPHRASE}


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},
        {"Origin": "https://evil.example"},
        {"Origin": "null"},
        {"Origin": "http://testserver.evil.example"},
        # Sec-Fetch-Site wins over a matching Origin: a browser told us it is cross-site.
        {"Sec-Fetch-Site": "cross-site", "Origin": "http://testserver"},
    ],
)
async def test_cross_site_post_is_refused_and_changes_nothing(app, client, headers):
    await make_organiser()
    response = await client.post("/organisers/login", data=LOGIN, headers=headers)
    assert response.status_code == 403
    assert "sent from another site" in response.text
    assert "set-cookie" not in response.headers
    assert await OrganiserSession.all().count() == 0
    assert len(app.state.runtime.limits.names) == 0  # no failed passphrase counted


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "none"},
        {"Origin": "http://testserver"},
        {},  # no browser headers at all: an API client such as curl
    ],
)
async def test_same_origin_or_headerless_post_reaches_the_route(client, headers):
    await make_organiser()
    response = await client.post("/organisers/login", data=LOGIN, headers=headers)
    assert response.status_code == 303
    assert await OrganiserSession.all().count() == 1


async def test_headerless_post_still_meets_the_routes_own_checks(client):
    await make_organiser()
    response = await client.post("/organisers/login", data={**LOGIN, "passphrase": "wrong one!"})
    assert response.status_code == 400
    assert await OrganiserSession.all().count() == 0
