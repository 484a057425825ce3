"""What an account's own list asks of its holder: new recovery codes before they run out."""

from __future__ import annotations

from organise.organisers import recovery
from organise.organisers.models import Organiser
from tests.support import (
    PASSPHRASE,
    attention_lines,
    post_form,
    signed_in_organiser,
    turn_on_two_step,
)


async def test_few_recovery_codes_left_asks_for_new_ones_until_made(app, client):
    await signed_in_organiser(client, "kim")
    assert await attention_lines(client) == []  # no two-step sign-in: no recovery codes
    page = (await client.get("/organisers/")).text
    assert "Nothing waits for you now." in page

    codes = await turn_on_two_step(client)
    kim = await Organiser.get(username="kim")
    secret_key = app.state.runtime.secret_key
    for code in codes[:7]:
        assert await recovery.use_code(kim, code, secret_key=secret_key)
    assert await attention_lines(client) == []  # three left
    assert await recovery.use_code(kim, codes[7], secret_key=secret_key)

    [line] = await attention_lines(client)
    assert line.kind == "organisers.recovery_codes"
    assert line.text.startswith("You have 2 recovery codes left for two-step sign-in")
    # To the form that makes new ones, on this very page.
    assert line.href == "/organisers/#totp"
    assert 'id="totp"' in (await client.get("/organisers/")).text

    renewed = await post_form(client, "/organisers/recovery-codes", {"passphrase": PASSPHRASE})
    assert renewed.status_code == 200
    assert await attention_lines(client) == []
