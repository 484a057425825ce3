"""Admins' operations on accounts: disable, enable, remove, reset, roles, the audit log."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

import httpx
import pytest

from crypto.errors import EnvelopeError
from crypto.gate import GatePolicy
from crypto.keywrap import unwrap_private_key
from organise.campaigns import release, team, ticker
from organise.campaigns.models import Campaign, CampaignMember
from organise.campaigns.setup import ShareDelivery
from organise.organisers import accounts, audit, enrolment, people, tokens
from organise.organisers.models import (
    AuditAction,
    AuditEntry,
    EnrolmentCode,
    Organiser,
    RecoveryCode,
)
from organise.reports import inbox
from organise.reports.models import InboxGrant
from organise.roles import Role
from organise.weeks import week_of
from tests.campaigns.conftest import make_campaign, make_codes, refreshed, sign, tick
from tests.conftest import BASE_URL
from tests.servers import LiveServer, command_line_on
from tests.support import (
    PASSPHRASE,
    SAME_ORIGIN,
    make_organiser,
    sign_in,
    signed_in_organiser,
    turn_on_two_step,
)
from tests.surveys.conftest import make_survey

NEW_PASSPHRASE = "harbour kettle meadow quartz"
AGGREGATES = "/api/v1/aggregates/reports?by=employer"


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reveal is made by `tick` in the test, not by the server's own ticker meanwhile."""
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


@pytest.fixture
async def second(app) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same running app (the `client` fixture runs its lifespan)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as other:
        yield other


async def _admin(client, name: str = "root") -> Organiser:
    admin = await make_organiser(name, Role.ADMIN)
    assert (await sign_in(client, name)).status_code == 303
    return admin


def _now() -> datetime:
    return datetime.now(UTC)


async def _post(client, path: str, **data: str) -> httpx.Response:
    """A form posted as a browser does, with its content type even when it has no field."""
    headers = {**SAME_ORIGIN, "Content-Type": "application/x-www-form-urlencoded"}
    return await client.post(path, content=urlencode(data), headers=headers)


async def test_a_disabled_account_loses_token_and_session_at_once_and_keeps_its_team(
    app, client, second
):
    await _admin(client)
    campaign = (await make_campaign(app, owner="kim")).campaign
    kim = await Organiser.get(username="kim")
    _row, token = await tokens.create_token(kim, "script", secret_key=app.state.runtime.secret_key)
    bearer = {"Authorization": f"Bearer {token}"}
    assert (await second.get(AGGREGATES, headers=bearer)).status_code == 200
    assert (await sign_in(second, "kim")).status_code == 303
    assert (await second.get("/organisers/")).status_code == 200
    assert await team.has_enabled_member(campaign)

    page = await _post(client, "/organisers/people/kim/disable")
    assert page.status_code == 200
    assert "kim is disabled" in page.text
    assert (await second.get(AGGREGATES, headers=bearer)).status_code == 401
    signed_out = await second.get("/organisers/")  # the next request: back to the sign-in page
    assert signed_out.status_code == 303
    assert signed_out.headers["location"].endswith("/organisers/login")
    refused = await sign_in(second, "kim")
    assert refused.status_code == 403
    assert "disabled" in refused.text
    # Still on the team, but nothing is sealed to a disabled account: the campaign waits.
    assert await team.is_on_team(campaign, kim)
    assert not await team.has_enabled_member(campaign)
    assert [c.slug for c in await team.waiting_for_owner()] == [campaign.slug]

    assert "kim is enabled again" in (await _post(client, "/organisers/people/kim/enable")).text
    assert (await sign_in(second, "kim")).status_code == 303
    assert await team.has_enabled_member(campaign)  # its key did not change: its places count
    actions = [entry.action for entry in await AuditEntry.filter(subject="kim")]
    assert AuditAction.DISABLED in actions
    assert AuditAction.ENABLED in actions


async def test_the_last_admin_can_be_neither_removed_nor_disabled(app, client):
    root = await _admin(client)
    await make_organiser("kim")
    for action in ("disable", "remove"):
        with pytest.raises(accounts.AccountError, match="last admin"):
            await getattr(people, action)(None, "root", now=_now())
    refused = await _post(client, "/organisers/people/root/disable")
    assert refused.status_code == 409
    assert "root is the last admin" in refused.text
    with pytest.raises(accounts.AccountError, match="last admin"):
        await people.change_role(None, "root", Role.ORGANISER, access=_no_key(app), now=_now())
    await make_organiser("second-admin", Role.ADMIN)
    await people.disable(None, "root", now=_now())  # another admin remains
    assert (await Organiser.get(id=root.id)).disabled
    with pytest.raises(accounts.AccountError, match="last admin"):
        await people.remove(None, "second-admin", now=_now())


def _no_key(app) -> people.InboxAccess:
    return people.InboxAccess(app.state.runtime.keystore, None)


async def test_only_admins_manage_accounts(app, client):
    await signed_in_organiser(client, "kim")
    assert (await client.get("/organisers/people/")).status_code == 403
    assert (await _post(client, "/organisers/people/kim/disable")).status_code == 403
    kim = await Organiser.get(username="kim")
    with pytest.raises(people.Refused, match="Only an admin"):
        await people.disable(kim, "kim", now=_now())


async def test_a_gatekeeper_of_an_unfinished_campaign_is_not_removed_disabled_or_reset(app, client):
    await _admin(client)
    await accounts.create_organiser("gk", Role.GATEKEEPER, PASSPHRASE)
    made = await make_campaign(
        app,
        gate=GatePolicy("server_and_gatekeepers", 1, 1),
        delivery=ShareDelivery(gatekeeper_accounts=("gk",)),
    )
    for path in ("disable", "reset", "remove"):
        refused = await _post(client, f"/organisers/people/gk/{path}", confirm="1")
        assert refused.status_code == 409, path
        assert "holds a gatekeeper share of walkout" in refused.text
    gatekeeper = await Organiser.get(username="gk")
    assert not gatekeeper.disabled
    assert not await EnrolmentCode.exists(organiser_id=gatekeeper.id)
    # Once the campaign is over, the share is no longer needed.
    await Campaign.filter(id=made.campaign.id).update(state="expired")
    await people.disable(None, "gk", now=_now())
    await people.remove(None, "gk", now=_now())
    assert not await Organiser.exists(username="gk")


async def test_removal_needs_confirming_and_leaves_an_owned_campaign_waiting(app, client):
    await _admin(client)
    campaign = (await make_campaign(app, owner="kim")).campaign
    unticked = await _post(client, "/organisers/people/kim/remove")
    assert unticked.status_code == 400
    assert "Tick the box to confirm the removal." in unticked.text
    assert await Organiser.exists(username="kim")
    page = await _post(client, "/organisers/people/kim/remove", confirm="1")
    assert page.status_code == 200
    assert "kim is removed" in page.text
    assert not await Organiser.exists(username="kim")
    assert (await refreshed(campaign)).owner_id is None
    assert "Campaigns waiting for an owner" in page.text
    assert "walkout" in page.text
    unknown = await _post(client, "/organisers/people/nobody/disable")
    assert unknown.status_code == 404


async def _redeem(client, code: str, username: str, **more: str) -> httpx.Response:
    return await _post(
        client,
        "/organisers/enrol",
        code=code,
        username=username,
        passphrase=NEW_PASSPHRASE,
        repeated=NEW_PASSPHRASE,
        **more,
    )


async def test_a_reset_gives_a_new_key_and_takes_the_account_off_every_team(app, client, second):
    await _admin(client)
    kim = await make_organiser("kim", Role.ADMIN)  # an admin on a campaign team
    box = await inbox.ensure_inbox(app.state.runtime.keystore)
    made = (await make_campaign(app, owner="alex")).campaign
    await team.add_member(made, "kim", acting=None)
    owned = (await make_campaign(app, owner="kim", slug="kims")).campaign
    assert await InboxGrant.exists(organiser_id=kim.id)
    codes = await make_codes(app, made, 3)
    for code, name in zip(codes, ("Rosa", "Emma", "Lucy"), strict=True):
        assert (await sign(client, made.slug, code, name)).status_code == 201
    assert (await tick(app)).revealed == 1
    old_key = unwrap_private_key(kim.wrapped_private_key, PASSPHRASE)
    release_key = await release.release_key_of(await refreshed(made), app.state.runtime.keystore)
    assert len(await release.open_for_organiser(await refreshed(made), old_key, release_key)) == 3

    page = await _post(client, "/organisers/people/kim/reset")
    assert page.status_code == 200
    code = re.search(r'<code class="secret">([0-9A-Z-]+)</code>', page.text).group(1)
    assert "works once, for 24 hours" in page.text
    assert "What a passphrase reset loses" in page.text
    [row] = await EnrolmentCode.filter(organiser_id=kim.id)
    assert row.reset
    assert row.expires_at <= _now() + timedelta(hours=24)
    assert code not in row.code_hash

    enrolled = await _redeem(second, code, "kim")
    assert enrolled.status_code == 200, enrolled.text
    words = re.search(r'<p class="fingerprint"><strong>([a-z ]+)</strong>', enrolled.text)
    fresh = await Organiser.get(id=kim.id)
    assert words.group(1) == enrolment.fingerprint(fresh)
    assert fresh.public_key != kim.public_key
    # On no team, no inbox key, nothing sealed to the new key.
    assert await team.campaigns_of(fresh) == []
    assert not await CampaignMember.exists(organiser_id=kim.id)
    assert (await refreshed(owned)).owner_id is None
    assert not await InboxGrant.exists(organiser_id=kim.id)
    new_key = unwrap_private_key(fresh.wrapped_private_key, NEW_PASSPHRASE)
    with pytest.raises(EnvelopeError):
        await release.open_for_organiser(await refreshed(made), new_key, release_key)
    assert await inbox.inbox_private_key(box, fresh, new_key) is None
    # The code worked once.
    again = await _redeem(second, code, "kim")
    assert again.status_code == 409
    assert "already used" in again.text

    # The owner's list of things to do says who left, and the admin's lists the waiting one.
    await sign_in(client, "alex")
    home = await client.get("/organisers/")
    assert (
        "kim left the team of Walk out of Project Lantern when its passphrase was reset"
        in home.text
    )
    await team.add_member(await refreshed(made), "kim", acting=None)
    assert "kim left the team" not in (await client.get("/organisers/")).text
    actions = {entry.action for entry in await AuditEntry.filter(subject="kim")}
    assert {
        AuditAction.RESET_ISSUED,
        AuditAction.RESET_COMPLETED,
        AuditAction.LEFT_TEAM_BY_RESET,
    } <= actions


async def test_a_reset_code_expires_after_24_hours(app, client):
    await make_organiser("kim")
    then = _now() - timedelta(hours=24, minutes=1)
    code = await people.issue_reset(None, "kim", pepper=app.state.runtime.code_pepper, now=then)
    expired = await _redeem(client, code, "kim")
    assert expired.status_code == 400
    assert "has expired" in expired.text
    fresh = await Organiser.get(username="kim")
    assert unwrap_private_key(fresh.wrapped_private_key, PASSPHRASE)  # nothing changed


async def test_a_reset_of_a_two_step_account_asks_for_its_second_factor(app, client):
    kim = await signed_in_organiser(client, "kim")
    codes = await turn_on_two_step(client)
    client.cookies.clear()
    code = await people.issue_reset(None, "kim", pepper=app.state.runtime.code_pepper, now=_now())
    missing = await _redeem(client, code, "kim")
    assert missing.status_code == 400
    assert "two-step sign-in" in missing.text
    assert (await Organiser.get(id=kim.id)).public_key == kim.public_key
    done = await _redeem(client, code, "kim", second_factor=codes[0].lower())
    assert done.status_code == 200, done.text
    assert (await Organiser.get(id=kim.id)).public_key != kim.public_key


async def test_recovery_codes_work_once_each_and_are_stored_as_keyed_hashes(app, client):
    await signed_in_organiser(client, "kim")
    codes = await turn_on_two_step(client)
    stored = [row.code_hash for row in await RecoveryCode.all()]
    assert len(stored) == 10
    assert not any(code.replace("-", "") in h.upper() for code in codes for h in stored)
    client.cookies.clear()
    assert (await sign_in(client, "kim", totp_code=codes[0])).status_code == 303
    client.cookies.clear()
    assert (await sign_in(client, "kim", totp_code=codes[0])).status_code == 400  # used up
    assert (await sign_in(client, "kim", totp_code=codes[1])).status_code == 303
    home = await client.get("/organisers/")
    assert "8 recovery codes left" in home.text
    renewed = await _post(client, "/organisers/recovery-codes", passphrase=PASSPHRASE)
    new_codes = re.findall(r'<code class="secret">([0-9A-Z-]{19})</code>', renewed.text)
    assert len(new_codes) == 10
    client.cookies.clear()
    assert (await sign_in(client, "kim", totp_code=codes[2])).status_code == 400  # replaced
    assert (await sign_in(client, "kim", totp_code=new_codes[0])).status_code == 303
    wrong = await _post(client, "/organisers/recovery-codes", passphrase="wrong wrong wrong")
    assert wrong.status_code == 400


async def test_the_reviewer_role_brings_the_inbox_key_in_one_step_when_possible(app, client):
    await _admin(client)
    box = await inbox.ensure_inbox(app.state.runtime.keystore)
    await make_organiser("kim", Role.ORGANISER)
    page = await _post(client, "/organisers/people/kim/role", role="reviewer")
    assert page.status_code == 200
    assert "with access to the report inbox" in page.text
    kim = await Organiser.get(username="kim")
    assert kim.role == Role.REVIEWER
    opened = await inbox.inbox_private_key(
        box, kim, unwrap_private_key(kim.wrapped_private_key, PASSPHRASE)
    )
    assert opened is not None
    assert AuditAction.INBOX_GRANTED in {e.action for e in await AuditEntry.filter(subject="kim")}


async def test_the_reviewer_grant_waits_when_it_cannot_be_given_now(app, client, second):
    await _admin(client)
    await inbox.ensure_inbox(app.state.runtime.keystore)
    # Made at the command line (no admin key there), and one that has not enrolled yet.
    await make_organiser("kim", Role.ORGANISER)
    outcome = await people.change_role(None, "kim", Role.REVIEWER, access=_no_key(app), now=_now())
    assert outcome == people.GrantOutcome.PENDING
    await enrolment.create_pending("lee", Role.ORGANISER, pepper=app.state.runtime.code_pepper)
    page = await _post(client, "/organisers/people/lee/role", role="reviewer")
    assert "waits for someone who holds it" in page.text
    assert not await InboxGrant.exists(organiser__username__in=["kim", "lee"])
    # It shows on the list of whoever can complete it: an admin holding the inbox key.
    home = await client.get("/organisers/")
    assert "kim waits for access to the report inbox" in home.text
    assert "lee waits" not in home.text  # no key yet: nothing can be sealed to it
    # ...and not on the list of someone who cannot.
    await make_organiser("nia", Role.REVIEWER)
    await sign_in(second, "nia")
    assert "waits for access" not in (await second.get("/organisers/")).text


async def test_the_audit_log_is_append_only_with_the_week_only(app, client):
    await _admin(client)
    await make_organiser("kim")
    await people.disable(None, "kim", now=_now())
    [entry] = await AuditEntry.filter(action=AuditAction.DISABLED)
    assert entry.week == week_of(_now())
    assert entry.actor == ""  # the command line
    entry.detail = "rewritten"
    with pytest.raises(PermissionError):
        await entry.save()
    with pytest.raises(PermissionError):
        await entry.delete()
    columns = {field for field in AuditEntry._meta.fields_map}
    assert not columns & {"created_at", "at", "time"}
    page = await client.get("/organisers/people/")
    assert page.status_code == 200
    assert "Audit log" in page.text
    assert f"<td>{week_of(_now()).isoformat()}</td>" in page.text
    assert "the command line" in page.text
    assert {e.subject for e in await audit.recent()} == {"root", "kim"}


async def test_the_accounts_page_lists_what_admins_need(app, client):
    await _admin(client)
    await make_campaign(app, owner="kim")
    await make_survey(app, owner="kim")
    await enrolment.create_pending("lee", Role.REVIEWER, pepper=app.state.runtime.code_pepper)
    page = await client.get("/organisers/people/")
    row = re.search(r"<th scope=\"row\">kim</th>(.*?)</tr>", page.text, re.DOTALL).group(1)
    cells = re.findall(r"<td>([^<]*)</td>", row)
    assert cells[:7] == [
        "organiser",
        week_of(_now()).isoformat(),
        "never",
        "off",
        "enabled",
        "walkout",
        "cloud-2027",
    ]
    assert "waiting for enrolment" in page.text
    root_row = re.search(r"<th scope=\"row\">root</th>(.*?)</tr>", page.text, re.DOTALL)
    assert week_of(_now()).isoformat() in re.findall(r"<td>([^<]*)</td>", root_row.group(1))[2]


def test_the_command_line_twins(tmp_path):
    operator = LiveServer(tmp_path)
    operator.create_organiser("root", "admin")
    operator.create_organiser("kim", "organiser")

    listed = operator.run_cli("organiser", "list")
    assert listed.returncode == 0, listed.stderr
    week = week_of(_now()).isoformat()
    assert f"kim  organiser  {week}  -  off  enabled  -  -" in listed.stdout

    assert "Disabled 'kim'" in operator.run_cli("organiser", "disable", "kim").stdout
    assert "kim  organiser" in operator.run_cli("organiser", "list").stdout
    assert "disabled" in operator.run_cli("organiser", "list").stdout
    assert "Enabled 'kim'" in operator.run_cli("organiser", "enable", "kim").stdout

    reset = operator.run_cli("organiser", "reset", "kim")
    assert reset.returncode == 0, reset.stderr
    assert re.search(r"^    [0-9A-Z]{4}(-[0-9A-Z]{4}){6}$", reset.stdout, re.MULTILINE)
    assert "valid 24 hours" in reset.stdout

    last_admin = operator.run_cli("organiser", "remove", "root")
    assert last_admin.returncode != 0
    assert "root is the last admin" in last_admin.stderr
    unknown = operator.run_cli("organiser", "disable", "nobody")
    assert unknown.returncode != 0
    assert "There is no account nobody" in unknown.stderr
    assert "Removed 'kim'" in operator.run_cli("organiser", "remove", "kim").stdout

    log = operator.run_cli("organiser", "audit").stdout
    for action in ("created", "disabled", "enabled", "reset_issued", "removed"):
        assert f"{week}  (command line)  {action}  kim" in log, action


async def test_an_owner_reset_leaves_its_campaign_to_an_admin_announced_assignment(app, client):
    made = (await make_campaign(app, owner="kim")).campaign
    await make_organiser("lou", Role.ORGANISER)
    await team.add_member(made, "lou", acting=None)
    code = await people.issue_reset(None, "kim", pepper=app.state.runtime.code_pepper, now=_now())
    assert (await _redeem(client, code, "kim")).status_code == 200
    campaign = await refreshed(made)
    assert campaign.owner_id is None
    assert await team.has_enabled_member(campaign)  # lou still receives the reveal
    assert [c.slug for c in await team.waiting_for_owner()] == ["walkout"]  # nobody runs it
    await sign_in(client, "lou")
    home = await client.get("/organisers/")
    assert "kim left the team of Walk out of Project Lantern" in home.text
    assert "an admin assigns a new owner" in home.text
    # The admin's assignment, announced to signers and delaying the reveal, brings kim back.
    assigned = await team.assign_owner(campaign, "kim")
    assert assigned.owner_assigned_week == week_of(_now())
    assert assigned.reveal_not_before is not None
    assert "kim left the team" not in (await client.get("/organisers/")).text


async def test_the_role_command_line_twin_changes_a_role_and_leaves_the_grant_waiting(
    app, client, settings
):
    await make_organiser("root", Role.ADMIN)
    await make_organiser("kim", Role.ORGANISER)
    gate, _code = await enrolment.create_pending(
        "gale", Role.GATEKEEPER, pepper=app.state.runtime.code_pepper
    )
    box = await inbox.ensure_inbox(app.state.runtime.keystore)  # root holds the inbox key
    assert [o.username for o in await inbox.without_access(box)] == []
    operator = command_line_on(settings)

    made = operator.run_cli("organiser", "role", "kim", "reviewer")
    assert made.returncode == 0, made.stderr
    assert "'kim' is now reviewer." in made.stdout
    assert "waits for someone who holds it" in made.stdout
    assert (await Organiser.get(username="kim")).role == Role.REVIEWER
    # No private key at the command line: the grant waits, on the holder's list.
    assert not await InboxGrant.exists(organiser__username="kim")
    await sign_in(client, "root")
    home = await client.get("/organisers/")
    assert "kim waits for access to the report inbox, which you hold." in home.text
    log = operator.run_cli("organiser", "audit").stdout
    assert "(command line)  role_changed  kim  organiser -> reviewer" in log

    refusals = {
        ("root", "organiser"): "root is the last admin",
        ("kim", "reviewer"): "kim is already reviewer",
        ("nobody", "admin"): "There is no account nobody",
        ("gale", "organiser"): "A gatekeeper account stays a gatekeeper",
    }
    for (name, role), message in refusals.items():
        refused = operator.run_cli("organiser", "role", name, role)
        assert refused.returncode != 0
        assert message in refused.stderr, refused.stderr
    not_a_choice = operator.run_cli("organiser", "role", "kim", "gatekeeper")
    assert not_a_choice.returncode != 0
    assert (await Organiser.get(username="kim")).role == Role.REVIEWER
    assert (await Organiser.get(id=gate.id)).role == Role.GATEKEEPER
