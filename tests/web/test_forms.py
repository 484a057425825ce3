"""Malformed form input gets a clear 4xx and nothing is stored."""

from __future__ import annotations

import pytest

from organise.organisers.models import OrganiserSession
from tests.support import SAME_ORIGIN

FORM = {**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}


async def _nothing_stored(app) -> bool:
    """No session, and no failed passphrase counted (in memory) for any name."""
    return await OrganiserSession.all().count() == 0 and len(app.state.runtime.limits.names) == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"username=%FF%FE&passphrase=x", "not valid UTF-8"),
        (b"username=caf\xc3\xa9&passphrase=x", "not valid UTF-8"),  # raw bytes, not percent-encoded
        (b"username=a%00b&passphrase=x", "NUL character"),
        (b"&".join(b"f%d=1" % i for i in range(100)), "too many fields"),
    ],
)
async def test_malformed_forms_are_refused_readably(app, client, body, message):
    response = await client.post("/organisers/login", content=body, headers=FORM)
    assert response.status_code == 400
    assert message in response.text
    assert await _nothing_stored(app)


async def test_wrong_content_type_is_415(client):
    response = await client.post(
        "/organisers/login",
        content=b'{"username": "alex"}',
        headers={**SAME_ORIGIN, "Content-Type": "application/json"},
    )
    assert response.status_code == 415
    assert "ordinary web form" in response.text


async def test_oversized_body_is_413_with_a_page(app, client, settings):
    body = b"username=" + b"a" * (settings.max_body_bytes + 1)
    response = await client.post("/organisers/login", content=body, headers=FORM)
    assert response.status_code == 413
    assert "too large" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert await _nothing_stored(app)


async def test_over_long_field_is_refused(client):
    response = await client.post(
        "/organisers/login", content=b"username=" + b"a" * 65 + b"&passphrase=x", headers=FORM
    )
    assert response.status_code == 400
    assert "at most 64 characters" in response.text


async def test_oversized_streamed_body_without_length_is_413(app, client, settings):
    async def chunks():
        for _ in range(settings.max_body_bytes // 1024 + 2):
            yield b"a" * 1024

    response = await client.post("/organisers/login", content=chunks(), headers=FORM)
    assert response.status_code == 413
    assert "too large" in response.text
    assert await _nothing_stored(app)
