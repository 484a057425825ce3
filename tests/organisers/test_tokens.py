"""API tokens: created once-shown, sent as Bearer, revocable, stored hashed."""

from __future__ import annotations

import re

from organise.organisers.models import ApiToken
from tests.servers import LiveServer
from tests.support import PASSPHRASE, SAME_ORIGIN, make_organiser, sign_in


async def _create_in_browser(client, name: str = "export script") -> str:
    response = await client.post("/organisers/tokens", data={"name": name}, headers=SAME_ORIGIN)
    assert response.status_code == 200
    assert "will not be shown again" in response.text
    return re.search(r"(org_[A-Za-z0-9_-]{40,})", response.text).group(1)


async def test_token_is_shown_once_stored_hashed_and_works_as_bearer(client):
    await make_organiser()
    await sign_in(client)
    token = await _create_in_browser(client)
    [row] = await ApiToken.all()
    assert token not in row.token_hash
    account = await client.get("/organisers/")
    assert token not in account.text  # never shown again
    assert "export script" in account.text

    client.cookies.clear()
    with_token = await client.get("/organisers/", headers={"Authorization": f"Bearer {token}"})
    assert with_token.status_code == 200
    assert "alex" in with_token.text
    assert "set-cookie" not in with_token.headers


async def test_wrong_or_revoked_tokens_are_refused(client):
    await make_organiser()
    await sign_in(client)
    token = await _create_in_browser(client)
    [row] = await ApiToken.all()
    revoked = await client.post(f"/organisers/tokens/{row.id}/revoke", headers=SAME_ORIGIN)
    assert revoked.status_code == 200
    assert "revoked" in revoked.text
    client.cookies.clear()
    for value in (token, "org_" + "x" * 43, "not-a-token"):
        response = await client.get("/organisers/", headers={"Authorization": f"Bearer {value}"})
        assert response.status_code == 401
        assert "API token is not valid" in response.text


async def test_one_organiser_cannot_revoke_anothers_token(client):
    await make_organiser("alex")
    await make_organiser("robin")
    await sign_in(client, "robin")
    await _create_in_browser(client)
    [row] = await ApiToken.all()
    client.cookies.clear()
    await sign_in(client, "alex")
    response = await client.post(f"/organisers/tokens/{row.id}/revoke", headers=SAME_ORIGIN)
    assert response.status_code == 404
    assert await ApiToken.all().count() == 1


async def test_a_token_cannot_reach_the_private_key(client):
    await make_organiser()
    await sign_in(client)
    token = await _create_in_browser(client)
    client.cookies.clear()
    response = await client.post(
        "/organisers/passphrase",
        data={"current_passphrase": PASSPHRASE, "new_passphrase": "meadow copper thistle harbour"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 403
    assert "API tokens cannot decrypt" in response.text


def test_token_commands(tmp_path):
    operator = LiveServer(tmp_path)
    passphrase_file = tmp_path / "passphrase"
    passphrase_file.write_text(PASSPHRASE)
    assert (
        operator.run_cli(
            "organiser",
            "create",
            "alex",
            "--role",
            "admin",
            "--passphrase-file",
            str(passphrase_file),
        ).returncode
        == 0
    )
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
