"""Records and day keys: what a row holds, how long it lives, and what the tick deletes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.transactions import in_transaction

from crypto import codes
from organise.campaigns import lifecycle
from organise.submissions import once
from organise.submissions.models import Submission
from tests.campaigns.conftest import make_campaign, make_codes, pledge_rows
from tests.submissions.conftest import RECEIPT, form_address, records, set_clock
from tests.support import post_form

NOON = datetime(2030, 5, 14, 12, 0, tzinfo=UTC)
CONTENT = once.content("test", {"field": "value"})


def _names(app) -> list[str]:
    return app.state.runtime.keystore.names(once.DAY_KEY_PREFIX)


async def _record_at(app, token: str, now: datetime) -> once.Once:
    submission = await once.prepare(token, CONTENT, keystore=app.state.runtime.keystore, now=now)

    async def work(*, remember):
        async with in_transaction() as connection:
            await remember(connection, {"done": True})
        return {"done": True}

    await once.run_once(
        submission, work, once.Outcomes(keep=dict, shown_again=dict), other_content="refuse"
    )
    return submission


async def _found(app, token: str, now: datetime) -> once.Earlier | None:
    keystore = app.state.runtime.keystore
    return await (await once.prepare(token, CONTENT, keystore=keystore, now=now)).find()


async def test_a_record_is_found_today_and_tomorrow_then_never(app, client):
    token = codes.new_token()
    await _record_at(app, token, NOON)
    assert _names(app) == [once.day_key_name(NOON.date())]
    assert (await _found(app, token, NOON + timedelta(hours=11, minutes=59))).outcome == {
        "done": True
    }
    assert (await _found(app, token, NOON + timedelta(hours=35))).outcome == {"done": True}
    # The third day looks with its own key and the second day's only.
    assert await _found(app, token, NOON + timedelta(hours=36)) is None


async def test_the_tick_deletes_day_keys_48_hours_after_their_day_began_and_their_records(
    app, client
):
    kept, dropped = codes.new_token(), codes.new_token()
    await _record_at(app, dropped, NOON)
    await _record_at(app, kept, NOON + timedelta(days=1))
    assert await records() == 2

    day_two_end = datetime(2030, 5, 15, 23, 59, tzinfo=UTC)
    report = await lifecycle.tick(app.state.runtime.keystore, now=day_two_end)
    assert report.submission_day_keys_deleted == 0
    assert await records() == 2

    day_three = datetime(2030, 5, 16, 0, 0, tzinfo=UTC)  # 48 hours after the 14th began
    report = await lifecycle.tick(app.state.runtime.keystore, now=day_three)
    assert report.submission_day_keys_deleted == 1
    assert report.submission_records_deleted == 1
    assert once.day_key_name(NOON.date()) not in _names(app)
    assert once.day_key_name(day_three.date()) in _names(app)
    assert await records() == 1
    assert (await _found(app, kept, day_three)).outcome == {"done": True}
    assert await _found(app, dropped, day_three) is None

    # A row whose key is gone (or that no key made) is deleted by the next tick.
    await Submission.create(
        lookup="ab" * 32, fingerprint="cd" * 32, outcome=b"x", day_mark="0" * 64
    )
    report = await lifecycle.tick(app.state.runtime.keystore, now=day_three)
    assert report.submission_records_deleted == 1
    assert await records() == 1


async def test_a_reload_after_48_hours_is_a_new_submission(app, client):
    campaign = (await make_campaign(app)).campaign
    [code] = await make_codes(app, campaign, 1)
    start = datetime.now(UTC)
    set_clock(app, start)
    address = await form_address(client, "/campaigns/walkout/sign")
    pledge = {"invite_code": code, "name": "Rosa"}
    first = await post_form(client, address, pledge)
    [receipt] = RECEIPT.findall(first.text)

    set_clock(app, start + timedelta(hours=24))
    next_day = await post_form(client, address, pledge)
    assert RECEIPT.findall(next_day.text) == [receipt]

    later = start + timedelta(hours=48)
    set_clock(app, later)
    await lifecycle.tick(app.state.runtime.keystore, now=later)
    assert await records() == 0
    too_late = await post_form(client, address, pledge)
    assert too_late.status_code == 403  # the code was used; the receipt cannot come back
    assert receipt not in too_late.text
    assert await pledge_rows(campaign) == 1


async def test_a_record_holds_no_time_no_campaign_and_nothing_readable(app, client):
    campaign = (await make_campaign(app, onward_invites=2, accept_chain_risk=True)).campaign
    [code] = await make_codes(app, campaign, 1)
    address = await form_address(client, "/campaigns/walkout/sign")
    page = await post_form(client, address, {"invite_code": code, "name": "Rosa Canary"})
    [receipt] = RECEIPT.findall(page.text)
    token = address.split("?t=")[1]

    assert set(Submission._meta.fields_map) == {"lookup", "fingerprint", "outcome", "day_mark"}
    [row] = await Submission.all().values("lookup", "fingerprint", "outcome", "day_mark")
    stored = b"".join(
        value if isinstance(value, bytes) else str(value).encode() for value in row.values()
    )
    for secret in (
        receipt,
        receipt.replace("-", " "),
        token,
        code,
        "Rosa Canary",
        str(campaign.id),
    ):
        assert secret.encode() not in stored, secret
    # The outcome is padded: a pledge with two onward codes is as long as one without.
    assert len(row["outcome"]) == 512 + 40
