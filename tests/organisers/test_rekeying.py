"""Accounts whose keys someone else's passphrase made get a new pair however their holder signs in,
and keep reading everything that was sealed to the old one.

The attacker is whoever typed the account's first passphrase (and kept a copy of the database):
after the re-key, the old private key they can unwrap opens none of what the account holds.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import timedelta

import pytest

from crypto import keywrap, sealing, streams
from crypto.errors import EnvelopeError
from organise.campaigns import heldshares, release, retention, team, ticker
from organise.campaigns.models import (
    Audience,
    Campaign,
    CampaignState,
    HeldShare,
    ReleasedChunk,
)
from organise.organisers import rekeying
from organise.organisers.models import Organiser, OrganiserSession
from organise.roles import Role
from tests.campaigns.conftest import (
    account_gatekept_campaign,
    make_campaign,
    post_release,
    refreshed,
    sign_with_new_codes,
    tick,
    to_the_gate,
)
from tests.conftest import ON_POSTGRES
from tests.servers import command_line_on
from tests.support import GATEKEEPER_PASSPHRASE, PASSPHRASE, make_organiser, sign_in

NAMES = ["Ada", "Grace", "Katherine", "Mary", "Rosa"]


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The tests tick themselves (as in tests/campaigns)."""
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


async def _revealed(app, client, **overrides) -> Campaign:
    """Revealed to the team alex (owner) and mo (co-organiser), both enrolled then."""
    campaign = (await make_campaign(app, threshold=len(NAMES), **overrides)).campaign
    await make_organiser("mo", Role.ORGANISER)
    await team.add_member(campaign, "mo", acting=None)
    await sign_with_new_codes(app, client, campaign, NAMES)
    assert (await tick(app)).revealed == 1
    return await refreshed(campaign)


async def _made_before_enrolment(username: str = "alex") -> object:
    """Mark the account as the migration leaves those made before enrolment; its old key."""
    await Organiser.filter(username=username).update(enrolled=False)
    old = await Organiser.get(username=username)
    return keywrap.unwrap_private_key(old.wrapped_private_key, PASSPHRASE)


async def _names(app, campaign: Campaign, key) -> list[str]:
    campaign = await refreshed(campaign)
    release_key = await release.release_key_of(campaign, app.state.runtime.keystore)
    return sorted(r["name"] for r in await release.open_for_organiser(campaign, key, release_key))


def _key_of(organiser: Organiser):
    return keywrap.unwrap_private_key(organiser.wrapped_private_key, PASSPHRASE)


async def test_a_recipient_of_a_reveal_signs_in_is_re_keyed_and_still_reads_it(
    app, client, monkeypatch
):
    monkeypatch.setattr(release, "CHUNK_RECORDS", 2)  # three chunks, each sealed again
    campaign = await _revealed(app, client)
    assert await ReleasedChunk.filter(campaign_id=campaign.id, audience="organisers").count() == 3
    await sign_in(client)  # a session opened before the re-key holds the old key
    earlier_session = dict(client.cookies)
    old_key = await _made_before_enrolment()
    old_public = (await Organiser.get(username="alex")).public_key

    client.cookies.clear()
    assert (await sign_in(client)).status_code == 303
    alex = await Organiser.get(username="alex")
    assert alex.enrolled
    assert alex.public_key != old_public
    # The signed-in session reads the reveal with the new key.
    page = await client.get("/organisers/campaigns/walkout/pledges")
    assert page.status_code == 200
    for name in NAMES:
        assert name in page.text
    assert await _names(app, campaign, _key_of(alex)) == NAMES
    # The old key, which whoever typed the first passphrase could unwrap, opens nothing now.
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        await _names(app, campaign, old_key)
    # The other member reads it as before; the head is still wrapped under the release key.
    assert await _names(app, campaign, _key_of(await Organiser.get(username="mo"))) == NAMES
    assert streams.is_wrapped_head(bytes((await refreshed(campaign)).released_to_organisers))
    # The session that held the old key was ended.
    client.cookies.clear()
    client.cookies.update(earlier_session)
    assert (await client.get("/organisers/")).status_code != 200
    assert await OrganiserSession.filter(organiser_id=alex.id).count() == 1


async def _store_old_form(campaign: Campaign, form: str, public_keys: list[bytes]) -> None:
    """The organisers' copy as releases made before wrapping, or before streaming, stored it."""
    records = [{"name": name} for name in NAMES]
    context = release.organisers_context(campaign)
    await ReleasedChunk.filter(campaign_id=campaign.id, audience="organisers").delete()
    if form == "whole blob":
        blob = sealing.seal_to_recipients(
            json.dumps(records).encode(), public_keys, context=context
        )
        await Campaign.filter(id=campaign.id).update(released_to_organisers=blob)
        return
    writer = streams.seal_to_recipients(public_keys, context=context)
    for position, part in enumerate((records[:3], records[3:])):
        data = writer.push(json.dumps(part).encode(), final=position == 1)
        await ReleasedChunk.create(
            campaign_id=campaign.id, audience="organisers", position=position, data=data
        )
    await Campaign.filter(id=campaign.id).update(released_to_organisers=writer.head)


@pytest.mark.parametrize("form", ["whole blob", "stream before wrapping"])
async def test_releases_stored_in_older_forms_are_sealed_again_too(app, client, form):
    campaign = await _revealed(app, client)
    old_key = await _made_before_enrolment()
    mo = await Organiser.get(username="mo")
    await _store_old_form(campaign, form, [old_key.public_key.encode(), mo.public_key])
    assert await _names(app, campaign, old_key) == NAMES

    assert (await sign_in(client)).status_code == 303
    alex = await Organiser.get(username="alex")
    assert await _names(app, campaign, _key_of(alex)) == NAMES
    assert await _names(app, campaign, _key_of(mo)) == NAMES
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        await _names(app, campaign, old_key)
    stored = bytes((await refreshed(campaign)).released_to_organisers)
    assert streams.is_head(stored) == (form != "whole blob")  # kept in its own form


async def test_a_release_stored_altered_is_left_as_it_was_and_sign_in_works(
    app, client, monkeypatch
):
    monkeypatch.setattr(release, "CHUNK_RECORDS", 2)
    campaign = await _revealed(app, client)
    await ReleasedChunk.filter(campaign_id=campaign.id, audience="organisers", position=1).delete()
    before = (await refreshed(campaign)).released_to_organisers
    await _made_before_enrolment()
    assert (await sign_in(client)).status_code == 303
    assert (await Organiser.get(username="alex")).enrolled
    assert (await refreshed(campaign)).released_to_organisers == before
    remaining = await ReleasedChunk.filter(campaign_id=campaign.id, audience="organisers")
    assert sorted(chunk.position for chunk in remaining) == [0, 2]


async def test_a_gatekeepers_held_share_is_sealed_again_and_still_released(app, client):
    campaign = await account_gatekept_campaign(app)
    await Organiser.filter(username="ana").update(enrolled=False)
    ana_before = await Organiser.get(username="ana")
    old_key = keywrap.unwrap_private_key(ana_before.wrapped_private_key, GATEKEEPER_PASSPHRASE)
    await sign_in(client, "ana", GATEKEEPER_PASSPHRASE)
    ana = await Organiser.get(username="ana")
    assert ana.public_key != ana_before.public_key
    held = await HeldShare.get(campaign_id=campaign.id, organiser_id=ana.id)
    with pytest.raises(EnvelopeError):
        sealing.open_sealed(
            held.sealed_share, old_key, context=heldshares.share_context(campaign.id, ana.id)
        )

    await to_the_gate(app, client, campaign)
    released = await post_release(client, str(held.id))
    assert released.status_code == 200, released.text
    assert "Your share was accepted." in released.text
    assert (await HeldShare.get(id=held.id)).handed_in


async def test_the_command_line_re_keys_with_the_same_function(app, client, settings):
    campaign = await _revealed(app, client, audience=Audience.COSIGNERS)
    old_key = await _made_before_enrolment()
    passphrase_file = settings.instance_dir.parent / "alex.passphrase"
    passphrase_file.write_text(PASSPHRASE + "\n")
    command = command_line_on(settings)
    reveal = (
        "campaign", "reveal", "walkout", "--organiser", "alex",
        "--passphrase-file", str(passphrase_file),
    )  # fmt: skip

    first = command.run_cli(*reveal)
    assert first.returncode == 0, first.stderr
    rows = list(csv.reader(io.StringIO(first.stdout)))
    assert sorted(row[0] for row in rows[1:]) == NAMES
    alex = await Organiser.get(username="alex")
    assert alex.enrolled
    assert alex.public_key != old_key.public_key.encode()
    assert await _names(app, campaign, _key_of(alex)) == NAMES
    with pytest.raises(EnvelopeError, match="not addressed to this key"):
        await _names(app, campaign, old_key)
    # Once is enough: the next run uses the new key as it is.
    second = command.run_cli(*reveal)
    assert second.returncode == 0, second.stderr
    assert (await Organiser.get(username="alex")).public_key == alex.public_key


async def test_a_wrong_passphrase_on_the_command_line_re_keys_nothing(app, client, settings):
    await _revealed(app, client)
    await _made_before_enrolment()
    before = await Organiser.get(username="alex")
    wrong = settings.instance_dir.parent / "wrong.passphrase"
    wrong.write_text("not the passphrase at all\n")
    refused = command_line_on(settings).run_cli(
        "campaign", "reveal", "walkout", "--organiser", "alex", "--passphrase-file", str(wrong)
    )
    assert refused.returncode != 0
    assert "Wrong passphrase" in refused.stderr
    after = await Organiser.get(username="alex")
    assert (after.enrolled, after.public_key) == (False, before.public_key)


@pytest.mark.postgres_only
@pytest.mark.skipif(not ON_POSTGRES, reason="races only mean something on PostgreSQL")
async def test_two_sign_ins_and_the_end_of_retention_at_once(app, client):
    """One re-key wins, both callers end with its key, and a list destroyed at the same moment
    stays destroyed: a re-seal never brings it back."""
    campaign = await _revealed(app, client, keep_revealed_days=1)
    old_key = await _made_before_enrolment()
    alex = await Organiser.get(username="alex")
    keystore = app.state.runtime.keystore
    later = (await refreshed(campaign)).revealed_at + timedelta(days=2)
    outcomes = await asyncio.gather(
        rekeying.rekey_if_needed(alex, old_key, PASSPHRASE, keystore=keystore),
        rekeying.rekey_if_needed(
            await Organiser.get(username="alex"), old_key, PASSPHRASE, keystore=keystore
        ),
        retention.destroy_release(campaign.id, keystore=keystore, now=later),
    )
    first, second, destroyed = outcomes
    assert destroyed
    assert bytes(first.public_key) == bytes(second.public_key)
    stored = await Organiser.get(username="alex")
    assert stored.public_key == bytes(first.public_key)
    ended = await refreshed(campaign)
    assert (ended.state, ended.release_destroyed) == (CampaignState.REVEALED, True)
    assert ended.released_to_organisers is None
    assert not await ReleasedChunk.filter(campaign_id=campaign.id).exists()
