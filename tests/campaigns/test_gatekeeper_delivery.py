"""Gatekeepers who are never seen: shares sealed to gatekeeper accounts, or dealt by one-time links.

The attacker here is anyone but a gatekeeper: the organiser who created the campaign, the admin
who created the gatekeeper accounts, whoever holds the database and the keystore. Each is given
every secret they hold, and the campaign key still cannot be rebuilt before the gatekeepers act.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

import pyotp
import pytest

from crypto import keywrap
from crypto.errors import EnvelopeError, ShareError
from crypto.gate import GatePolicy, recover_private_key
from crypto.sealing import open_sealed
from organise.campaigns import gateshares, heldshares, keys, setup
from organise.campaigns.models import Audience, Campaign, CampaignState, HeldShare, ShareLink
from organise.campaigns.setup import ShareDelivery
from organise.i18n.formats import day
from organise.organisers import enrolment
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.roles import Role
from organise.weeks import week_of
from tests.campaigns.conftest import (
    create_through_form,
    in_days,
    make_campaign,
    refreshed,
    shares_page,
    to_the_gate,
)
from tests.support import (
    GATEKEEPER_PASSPHRASE,
    PASSPHRASE,
    make_gatekeeper,
    make_organiser,
    post_form,
    sign_in,
)


@pytest.fixture
def dealt(monkeypatch):
    """What the server dealt, seen by the test alone (a spy on the dealing)."""
    seen: list[str] = []
    real = setup.deal_gate

    def spy(policy):
        result = real(policy)
        seen.extend(result.gatekeeper_shares)
        return result

    monkeypatch.setattr(setup, "deal_gate", spy)
    return seen


def _everything_in(app) -> bytes:
    keystore = app.state.runtime.keystore
    return b"".join(keystore.get_many(keystore.names("")).values())


async def _database_bytes() -> bytes:
    parts = []
    for row in await HeldShare.all():
        parts.append(row.sealed_share or b"")
    for row in await ShareLink.all():
        parts.append(row.encrypted_share or b"")
        parts.append(row.lookup_hash.encode())
    for campaign in await Campaign.all():
        parts.append(repr(campaign.share_hashes).encode())
    return b"".join(parts)


async def test_account_gatekept_campaign_from_the_form_to_the_reveal(app, client, dealt):
    await make_organiser("alex", Role.ORGANISER)
    keepers = [(await make_gatekeeper(app, name))[0] for name in ("ana", "bo", "cy")]
    await sign_in(client)
    form = await client.get("/organisers/campaigns/new")
    for keeper in keepers:  # each name with its fingerprint words, to check before choosing
        assert enrolment.fingerprint(keeper) in form.text
    created = await create_through_form(
        client,
        cooling_off_hours="0",
        audience="cosigners",
        gate_mode="server_and_gatekeepers",
        share_delivery="accounts",
        gatekeeper_accounts="ana, bo,cy",
    )
    assert created.status_code == 200, created.text
    for keeper in keepers:
        assert keeper.username in created.text
        assert enrolment.fingerprint(keeper) in created.text
    assert len(dealt) == 3
    for share in dealt:  # shown to nobody: not to the organiser, not in the stores
        assert share.split()[5] + " " + share.split()[6] not in created.text
        assert share.encode() not in _everything_in(app)
        assert share.encode() not in await _database_bytes()
    campaign = await Campaign.get(slug="walkout")
    assert await HeldShare.filter(campaign_id=campaign.id).count() == 3

    waiting = await shares_page(client, "ana")
    assert waiting.status_code == 200
    assert "asks for your share" not in waiting.text
    assert "Nothing to do now" in waiting.text

    await to_the_gate(app, client, campaign)
    await sign_in(client, "ana", GATEKEEPER_PASSPHRASE)
    asked = await client.get("/organisers/shares/")
    assert "Campaign Walk out asks for your share." in asked.text
    held_id = re.search(r"/organisers/shares/([0-9a-f-]+)/release", asked.text).group(1)

    wrong = await post_form(
        client, f"/organisers/shares/{held_id}/release", {"passphrase": PASSPHRASE}
    )
    assert wrong.status_code == 400
    assert "not right" in wrong.text
    first = await post_form(
        client, f"/organisers/shares/{held_id}/release", {"passphrase": GATEKEEPER_PASSPHRASE}
    )
    assert first.status_code == 200
    assert "Your share was accepted." in first.text
    assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE
    again = await post_form(
        client, f"/organisers/shares/{held_id}/release", {"passphrase": GATEKEEPER_PASSPHRASE}
    )
    assert again.status_code == 409

    bo_page = await shares_page(client, "bo")
    bo_id = re.search(r"/organisers/shares/([0-9a-f-]+)/release", bo_page.text).group(1)
    second = await post_form(
        client, f"/organisers/shares/{bo_id}/release", {"passphrase": GATEKEEPER_PASSPHRASE}
    )
    assert "the pledges have been revealed" in second.text
    assert (await refreshed(campaign)).state == CampaignState.REVEALED


async def test_nobody_but_the_gatekeepers_can_open_an_account_gatekept_campaign(app, client):
    """The creating organiser, the admin who made the gatekeeper accounts, the database and
    the keystore, all together, before any gatekeeper acts."""
    organiser = await make_organiser("alex", Role.ORGANISER)
    admin = await make_organiser("sam", Role.ADMIN)
    codes_the_admin_saw = []
    for name in ("ana", "bo", "cy"):
        _keeper, code = await make_gatekeeper(app, name)
        codes_the_admin_saw.append(code)
    for gate in (GatePolicy("server_and_gatekeepers", 3, 2), GatePolicy("any_k_of_n", 3, 2)):
        slug = f"walkout-{gate.mode.replace('_', '-')}"
        created = await setup.create_campaign(
            setup.CampaignSpec(
                slug=slug,
                title="Walk out",
                demand="We will not build it.",
                threshold=3,
                deadline=in_days(30),
                cooling_off_hours=0,
                audience=Audience.COSIGNERS,
                gate=gate,
            ),
            owner=organiser,
            keystore=app.state.runtime.keystore,
            pepper=app.state.runtime.code_pepper,
            delivery=ShareDelivery(gatekeeper_accounts=("ana", "bo", "cy")),
        )
        # What the organiser got back: names and fingerprints, no share.
        assert created.gatekeeper_shares == ()
        campaign = created.campaign
        await to_the_gate(app, client, campaign)

        # Every private key those parties can unlock: their own accounts' keys.
        attacker_keys = [
            keywrap.unwrap_private_key(o.wrapped_private_key, PASSPHRASE)
            for o in await Organiser.filter(id__in=[organiser.id, admin.id])
        ]
        # The enrolment codes the admin saw were used by the gatekeepers: they enrol nobody.
        for code in codes_the_admin_saw:
            with pytest.raises(enrolment.CodeAlreadyUsed):
                await enrolment.redeem(
                    enrolment.Enrolment(code, "ana", PASSPHRASE, PASSPHRASE),
                    pepper=app.state.runtime.code_pepper,
                )
        opened = []
        for held in await HeldShare.filter(campaign_id=campaign.id):
            for key in attacker_keys:
                with pytest.raises(EnvelopeError):
                    open_sealed(
                        held.sealed_share,
                        key,
                        context=heldshares.share_context(campaign.id, held.organiser_id),
                    )
        # The keystore's whole content: the server's share, and nothing else of this gate.
        keystore = app.state.runtime.keystore
        server_share = keystore.get(keys.server_share(campaign.id)).decode()
        with pytest.raises(ShareError):
            recover_private_key(
                [server_share, *opened],
                identifier=campaign.gate_identifier,
                public_key=campaign.public_key,
            )
        assert await gateshares.rebuild_key(await refreshed(campaign), keystore) is None
        assert (await refreshed(campaign)).state == CampaignState.AWAITING_GATE


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ("ana,bo,nobody", "nobody is not a gatekeeper account"),
        ("ana,bo,alex", "alex is not a gatekeeper account"),
        ("ana,bo,dee", "dee has not enrolled yet"),
        ("ana,bo,old", "old has not enrolled yet"),
        ("ana,bo", "3 accounts, 2 named"),
        ("ana,ana,bo", "once"),
    ],
)
async def test_unusable_gatekeeper_accounts_are_refused_at_creation(app, client, names, message):
    await make_organiser("alex", Role.ORGANISER)
    for name in ("ana", "bo"):
        await make_gatekeeper(app, name)
    await enrolment.create_pending("dee", Role.GATEKEEPER, pepper=app.state.runtime.code_pepper)
    old, _code = await make_gatekeeper(app, "old")
    await Organiser.filter(id=old.id).update(enrolled=False)
    with pytest.raises(Refused, match=message):
        await make_campaign(
            app,
            gate=GatePolicy("server_and_gatekeepers", 3, 2),
            delivery=ShareDelivery(gatekeeper_accounts=tuple(names.split(","))),
        )
    assert not await Campaign.exists()
    assert not await HeldShare.exists()
    assert app.state.runtime.keystore.names("campaign/") == []


# --- one-time share links -------------------------------------------------------------------


async def _link_campaign(app, dealt):
    created = await make_campaign(
        app,
        gate=GatePolicy("server_and_gatekeepers", 3, 2),
        delivery=ShareDelivery(links=True),
    )
    assert created.gatekeeper_shares == ()
    assert len(created.share_links) == 3
    return created


async def test_a_share_link_shows_its_share_once_confirmed_and_then_says_it_was_taken(
    app, client, dealt
):
    created = await _link_campaign(app, dealt)
    link = f"/shares/{created.share_links[0]}"
    # A link preview (GET), however many times, uses nothing up and shows no share.
    for _ in range(3):
        preview = await client.get(link)
        assert preview.status_code == 200
        assert "Show my share" in preview.text
        assert "set-cookie" not in preview.headers
        for word in set(dealt[0].split()):
            assert f"<li>{word}</li>" not in preview.text
    shown = await post_form(client, link)
    assert shown.status_code == 200
    words = re.findall(r"<li>([a-z]+)</li>", shown.text)
    assert " ".join(words) in dealt
    assert "<svg" in shown.text  # the QR code, drawn by the server
    # A reload (a failed print) loses nothing, and says when it was first shown.
    reloaded = await post_form(client, link)
    assert re.findall(r"<li>([a-z]+)</li>", reloaded.text) == words
    assert "first shown in the week of" in reloaded.text
    taken = await post_form(client, f"{link}/taken")
    assert taken.status_code == 200
    assert "deleted from the server" in taken.text
    week = day(week_of(datetime.now(UTC)))  # "2 March 2026": the page writes dates in words
    for again in (await client.get(link), await post_form(client, link)):
        assert again.status_code == 410
        assert f"already taken, in the week of {week}" in again.text
        assert not re.findall(r"<li>([a-z]+)</li>", again.text)
    row = await ShareLink.get(number=1)
    assert row.encrypted_share is None


async def test_a_database_and_keystore_copy_yields_no_linked_share(app, client, dealt):
    created = await _link_campaign(app, dealt)
    campaign = created.campaign
    everything = _everything_in(app) + await _database_bytes()
    for share in dealt:
        assert share.encode() not in everything
    # The organiser was given links, not shares.
    assert not set(created.share_links) & set(dealt)
    # With the database and the keystore but no link, the shares are out of reach: the server
    # share alone does not rebuild the key, and nothing else of the gate is held.
    keystore = app.state.runtime.keystore
    assert keystore.names(keys.submitted_prefix(campaign.id)) == []
    assert await gateshares.rebuild_key(campaign, keystore) is None


async def test_unknown_share_links_are_refused_plainly(app, client, dealt):
    await _link_campaign(app, dealt)
    for path in ("/shares/" + "A" * 43, "/shares/short"):
        response = await client.get(path)
        assert response.status_code == 404
        assert "not known" in response.text


async def test_a_gatekeeper_with_two_step_sign_in_releases_with_a_code_too(app, client):
    await make_gatekeeper(app, "ana")
    for name in ("bo", "cy"):
        await make_gatekeeper(app, name)
    await sign_in(client, "ana", GATEKEEPER_PASSPHRASE)
    offered = await client.get("/organisers/totp")
    secret = re.search(r'name="secret" value="([A-Z2-7]{32})"', offered.text).group(1)
    turned_on = await post_form(
        client,
        "/organisers/totp",
        {
            "secret": secret,
            "code": pyotp.TOTP(secret).now(),
            "passphrase": GATEKEEPER_PASSPHRASE,
        },
    )
    assert "Two-step sign-in is on" in turned_on.text
    created = await make_campaign(
        app,
        gate=GatePolicy("server_and_gatekeepers", 3, 2),
        delivery=ShareDelivery(gatekeeper_accounts=("ana", "bo", "cy")),
    )
    await to_the_gate(app, client, created.campaign)
    held = await HeldShare.get(campaign_id=created.campaign.id, organiser__username="ana")
    release = f"/organisers/shares/{held.id}/release"
    without = await post_form(client, release, {"passphrase": GATEKEEPER_PASSPHRASE})
    assert without.status_code == 400
    assert not (await HeldShare.get(id=held.id)).handed_in
    next_step = int(time.time()) // 30 + 1
    with_code = await post_form(
        client,
        release,
        {
            "passphrase": GATEKEEPER_PASSPHRASE,
            "totp_code": pyotp.TOTP(secret).generate_otp(next_step),
        },
    )
    assert with_code.status_code == 200
    assert "Your share was accepted." in with_code.text
    assert (await HeldShare.get(id=held.id)).handed_in
