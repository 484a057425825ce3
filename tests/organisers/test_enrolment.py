"""Accounts hold their own keys: enrolment codes, fingerprints, re-keying old accounts."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from crypto import codes, keywrap
from crypto.errors import EnvelopeError, WrongPassphrase
from crypto.sealing import open_sealed, seal_to_recipients
from organise.organisers import enrolment
from organise.organisers.models import EnrolmentCode, Organiser
from organise.reports import inbox
from organise.reports.models import InboxGrant
from organise.roles import Role
from organise.weeks import week_of
from tests.servers import LiveServer
from tests.support import PASSPHRASE, SAME_ORIGIN, make_organiser, post_form, sign_in

HOLDER_PASSPHRASE = "tundra compass ember quarry"


async def _enrol(
    client: httpx.AsyncClient, code: str, username: str, passphrase: str = HOLDER_PASSPHRASE
) -> httpx.Response:
    return await post_form(
        client,
        "/organisers/enrol",
        {"code": code, "username": username, "passphrase": passphrase, "repeated": passphrase},
    )


async def _pending(app, username: str = "dana", role: Role = Role.ORGANISER, now=None):
    return await enrolment.create_pending(
        username, role, pepper=app.state.runtime.code_pepper, now=now
    )


def test_enrolment_end_to_end_from_the_command_line_to_the_sign_in_page(tmp_path):
    server = LiveServer(tmp_path)
    made = server.run_cli("organiser", "create", "dana", "--role", "organiser")
    assert made.returncode == 0, made.stderr
    code = re.search(r"^    (\S+)$", made.stdout, re.MULTILINE).group(1)
    server.start()
    try:
        with httpx.Client(base_url=server.url, timeout=60, headers=SAME_ORIGIN) as web:
            assert "Enrol with a code" in web.get("/organisers/login").text
            body = {
                "code": code.lower(),  # typed as it comes: case and dashes do not matter
                "username": "dana",
                "passphrase": HOLDER_PASSPHRASE,
                "repeated": HOLDER_PASSPHRASE,
            }
            first = web.post("/organisers/enrol", data=body)
            assert first.status_code == 200, first.text
            words = re.search(r'<p class="fingerprint"><strong>([a-z ]+)</strong>', first.text)
            assert words is not None
            shown = server.run_cli("organiser", "show", "dana").stdout
            assert f"key fingerprint: {words.group(1)}" in shown  # the same words everywhere
            assert "enrolled: yes" in shown
            # Whoever redeems second is alarmed, with the week, not shrugged off.
            second = web.post("/organisers/enrol", data={**body, "passphrase": "x" * 20})
            assert second.status_code == 409
            assert "already used, in the week of" in second.text
            assert "tell your organisers" in second.text
            signed_in = web.post(
                "/organisers/login", data={"username": "dana", "passphrase": HOLDER_PASSPHRASE}
            )
            assert signed_in.status_code == 303
            home = web.get("/organisers/")
            assert words.group(1) in home.text
    finally:
        server.stop()


async def test_a_used_code_names_its_week_until_it_would_have_expired(app, client):
    _organiser, code = await _pending(app)
    assert (await _enrol(client, code, "dana")).status_code == 200
    again = await _enrol(client, code, "dana")
    assert again.status_code == 409
    assert week_of(datetime.now(UTC)).isoformat() in again.text
    # Past its 72 hours the used code's row goes, like any expired code's.
    later = datetime.now(UTC) + enrolment.VALID_FOR + timedelta(minutes=1)
    await enrolment.purge_expired(later)
    assert not await EnrolmentCode.exists()


async def test_after_72_hours_the_code_is_refused_plainly(app, client):
    created_at = datetime.now(UTC) - enrolment.VALID_FOR - timedelta(minutes=1)
    _organiser, code = await _pending(app, now=created_at)
    refused = await _enrol(client, code, "dana")
    assert refused.status_code == 400
    assert "has expired" in refused.text
    stored = await Organiser.get(username="dana")
    assert stored.public_key is None
    assert stored.passphrase_hash is None


async def test_failed_enrolments_do_not_tell_which_account_names_exist(app, client):
    _organiser, code = await _pending(app)
    await make_organiser("alex")
    wrong_name = await _enrol(client, code, "alex")
    unknown_name = await _enrol(client, code, "nobody-here")
    unknown_code = await _enrol(client, codes.new_invite_code(), "dana")
    nonsense = await _enrol(client, "not a code", "dana")
    messages = {
        re.search(r'role="alert">([^<]+)<', response.text).group(1)
        for response in (wrong_name, unknown_name, unknown_code, nonsense)
    }
    assert len(messages) == 1
    assert {r.status_code for r in (wrong_name, unknown_name, unknown_code, nonsense)} == {400}
    # None of them used the code up.
    assert (await _enrol(client, code, "dana")).status_code == 200


async def test_mismatched_or_weak_passphrases_are_refused_and_the_code_still_works(app, client):
    _organiser, code = await _pending(app)
    differ = await post_form(
        client,
        "/organisers/enrol",
        {
            "code": code,
            "username": "dana",
            "passphrase": HOLDER_PASSPHRASE,
            "repeated": HOLDER_PASSPHRASE + "!",
        },
    )
    assert differ.status_code == 400
    assert "differ" in differ.text
    weak = await _enrol(client, code, "dana", passphrase="short")
    assert weak.status_code == 400
    assert (await _enrol(client, code, "dana")).status_code == 200


async def test_an_account_waiting_for_enrolment_cannot_sign_in(app, client):
    await _pending(app)
    refused = await sign_in(client, "dana", "")
    assert refused.status_code in (400, 401)
    assert "set-cookie" not in refused.headers


async def test_the_operator_who_created_the_account_cannot_open_what_is_sealed_to_it(app, client):
    """The attacker: ran `organiser create`, kept a database copy, knows what they typed."""
    organiser, code = await _pending(app)
    # Everything the operator could have kept at creation: the row, and any passphrase they
    # might have typed for the holder. The row has no key at all yet.
    copy_at_creation = await Organiser.get(id=organiser.id)
    assert copy_at_creation.wrapped_private_key is None
    assert copy_at_creation.public_key is None
    assert (await _enrol(client, code, "dana")).status_code == 200
    enrolled = await Organiser.get(id=organiser.id)
    sealed = seal_to_recipients(b"the revealed list", [enrolled.public_key], context="t")
    # With a later database copy too, neither the operator's usual passphrase nor any other
    # they chose opens the key: only the holder's own passphrase does.
    for guess in (PASSPHRASE, "operator typed this one"):
        with pytest.raises(WrongPassphrase):
            keywrap.unwrap_private_key(enrolled.wrapped_private_key, guess)
    holder_key = keywrap.unwrap_private_key(enrolled.wrapped_private_key, HOLDER_PASSPHRASE)
    assert open_sealed(sealed, holder_key, context="t") == b"the revealed list"


async def test_an_old_account_is_re_keyed_at_sign_in_and_still_reads_the_report_inbox(app, client):
    reviewer = await make_organiser("robin", Role.REVIEWER)
    await Organiser.filter(id=reviewer.id).update(enrolled=False)  # made before enrolment
    box = await inbox.ensure_inbox(app.state.runtime.keystore)
    old = await Organiser.get(id=reviewer.id)
    old_key = keywrap.unwrap_private_key(old.wrapped_private_key, PASSPHRASE)
    inbox_key = await inbox.inbox_private_key(box, old, old_key)
    assert inbox_key is not None

    assert (await sign_in(client, "robin")).status_code == 303
    new = await Organiser.get(id=reviewer.id)
    assert new.enrolled
    assert new.public_key != old.public_key
    # The old key (which whoever typed the first passphrase could open) opens nothing now.
    grant = await InboxGrant.get(organiser_id=reviewer.id)
    with pytest.raises(EnvelopeError):
        open_sealed(grant.sealed_private_key, old_key, context=inbox.grant_context(box, new))
    new_key = keywrap.unwrap_private_key(new.wrapped_private_key, PASSPHRASE)
    reopened = await inbox.inbox_private_key(box, new, new_key)
    assert bytes(reopened) == bytes(inbox_key)
    # And the reviewer's pages read reports with the session's (new) key.
    assert (await client.get("/organisers/")).status_code == 200
    # A second sign-in does not re-key again.
    client.cookies.clear()
    assert (await sign_in(client, "robin")).status_code == 303
    assert (await Organiser.get(id=reviewer.id)).public_key == new.public_key


async def test_changing_the_passphrase_keeps_the_same_key_pair(app, client):
    await make_organiser("alex")
    before = await Organiser.get(username="alex")
    await sign_in(client)
    changed = await post_form(
        client,
        "/organisers/passphrase",
        {"current_passphrase": PASSPHRASE, "new_passphrase": HOLDER_PASSPHRASE},
    )
    assert changed.status_code == 200
    after = await Organiser.get(username="alex")
    assert after.public_key == before.public_key
    assert "same (its fingerprint does not change)" in changed.text
    key = keywrap.unwrap_private_key(after.wrapped_private_key, HOLDER_PASSPHRASE)
    assert bytes(key.public_key) == before.public_key


def test_fingerprint_words_are_deterministic_and_differ_between_keys():
    first = keywrap.generate_organiser_keys("a b c d e f g h", opslimit=1, memlimit=8192)
    second = keywrap.generate_organiser_keys("a b c d e f g h", opslimit=1, memlimit=8192)
    words = codes.fingerprint_words(first.public_key)
    assert words == codes.fingerprint_words(first.public_key)
    assert words != codes.fingerprint_words(second.public_key)
    assert len(words.split()) == codes.FINGERPRINT_WORDS
