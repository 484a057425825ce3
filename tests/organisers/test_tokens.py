"""API tokens: created once-shown, sent as Bearer, revocable, stored hashed."""

from __future__ import annotations

import re

import pytest
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from organise.organisers.models import ApiToken
from organise.organisers.sessions import organiser_private_key
from organise.web.access import organisers
from tests.servers import LiveServer
from tests.support import PASSPHRASE, make_organiser, post_form, sign_in, signed_in_organiser


@pytest.fixture
def whoami(app):
    """A JSON API route for organisers, as the dashboard's will be."""

    @organisers()
    async def endpoint(request: Request) -> Response:
        return JSONResponse({"username": request.state.organiser.username})

    app.router.routes.append(Route("/api/v1/whoami", endpoint))
    return "/api/v1/whoami"


async def _create_in_browser(client, name: str = "export script") -> str:
    response = await post_form(client, "/organisers/tokens", {"name": name})
    assert response.status_code == 200
    assert "will not be shown again" in response.text
    return re.search(r"(org_[A-Za-z0-9_-]{40,})", response.text).group(1)


async def test_token_is_shown_once_stored_hashed_and_works_as_bearer(client, whoami):
    await signed_in_organiser(client)
    token = await _create_in_browser(client)
    [row] = await ApiToken.all()
    assert token not in row.token_hash
    account = await client.get("/organisers/")
    assert token not in account.text  # never shown again
    assert "export script" in account.text

    fresh = await post_form(client, "/organisers/tokens", {"name": "second"})
    assert fresh.text.count("org_") == 1  # once on the page, not in the title as well
    client.cookies.clear()
    with_token = await client.get(whoami, headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 200
    assert with_token.json() == {"username": "alex"}
    assert "set-cookie" not in with_token.headers


async def test_tokens_cannot_manage_the_account(client):
    await signed_in_organiser(client)
    token = await _create_in_browser(client)
    client.cookies.clear()
    bearer = {"Authorization": f"Bearer {token}"}
    for method, path in [
        ("GET", "/organisers/"),
        ("POST", "/organisers/tokens"),
        ("POST", "/organisers/totp"),
        ("POST", "/organisers/logout"),
    ]:
        response = await client.request(method, path, headers=bearer)
        assert response.status_code == 401, path
        assert "only on the JSON API" in response.text
    assert await ApiToken.all().count() == 1


async def test_wrong_or_revoked_tokens_are_refused(client, whoami):
    await signed_in_organiser(client)
    token = await _create_in_browser(client)
    [row] = await ApiToken.all()
    revoked = await post_form(client, f"/organisers/tokens/{row.id}/revoke")
    assert revoked.status_code == 200
    assert "revoked" in revoked.text
    client.cookies.clear()
    for value in (token, "org_" + "x" * 43, "not-a-token"):
        response = await client.get(whoami, headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_token"


async def test_an_over_long_token_name_is_refused_on_the_account_page(client):
    await signed_in_organiser(client)
    response = await post_form(client, "/organisers/tokens", {"name": "n" * 65})
    assert response.status_code == 400
    assert "Token name can be at most 64 characters" in response.text
    assert "Your account" in response.text
    assert await ApiToken.all().count() == 0


async def test_one_organiser_cannot_revoke_anothers_token(client):
    await make_organiser("alex")
    await signed_in_organiser(client, "robin")
    await _create_in_browser(client)
    [row] = await ApiToken.all()
    client.cookies.clear()
    await sign_in(client, "alex")
    response = await post_form(client, f"/organisers/tokens/{row.id}/revoke")
    assert response.status_code == 404
    assert await ApiToken.all().count() == 1


async def test_a_token_cannot_reach_the_private_key(app, client):
    @organisers()
    async def decrypting(request: Request) -> Response:
        organiser_private_key(request)
        return JSONResponse({})

    app.router.routes.append(Route("/api/v1/decrypting", decrypting))
    await signed_in_organiser(client)
    token = await _create_in_browser(client)
    client.cookies.clear()
    response = await client.get("/api/v1/decrypting", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "needs_session"


async def test_passphrase_change_revokes_tokens(client):
    await signed_in_organiser(client)
    await _create_in_browser(client)
    response = await post_form(
        client,
        "/organisers/passphrase",
        {"current_passphrase": PASSPHRASE, "new_passphrase": "meadow copper thistle harbour"},
    )
    assert "every API token revoked" in response.text
    assert await ApiToken.all().count() == 0


def test_token_commands(tmp_path):
    operator = LiveServer(tmp_path)
    operator.create_organiser("alex", "admin")
    created = operator.run_cli("token", "create", "alex", "--name", "nightly")
    assert created.returncode == 0, created.stderr
    token = created.stdout.strip()
    assert re.fullmatch(r"org_[A-Za-z0-9_-]{43}", token)
    listed = operator.run_cli("token", "list", "alex").stdout
    assert "nightly" in listed
    assert token not in listed
    token_id = listed.split()[0]
    assert operator.run_cli("token", "revoke", token_id).returncode == 0
    again = operator.run_cli("token", "revoke", token_id)
    assert again.returncode == 1
    assert "no token" in again.stderr
    unknown = operator.run_cli("token", "create", "nobody")
    assert unknown.returncode == 1
    assert "no organiser called" in unknown.stderr
    too_long = operator.run_cli("token", "create", "alex", "--name", "n" * 65)
    assert too_long.returncode == 1
    assert "Token name can be at most 64 characters" in too_long.stderr
