"""The attention list's assembly: every feature's sources, installed by the app, asked in turn,
each line shown with its link; a new feature needs one source and one export, nothing more."""

from __future__ import annotations

from organise import app as application
from organise import attention
from organise.attention import Asking, Item
from organise.organisers.models import Organiser
from tests.support import attention_lines, attention_section, signed_in_organiser


def test_every_feature_exports_its_sources_and_the_app_installs_them_all(app):
    for feature in application.FEATURES:
        assert isinstance(feature.attention, list), feature.__name__
    expected = tuple(s for feature in application.FEATURES for s in feature.attention)
    assert app.state.attention_sources == expected
    # Campaigns, reports and the accounts feature each have work for someone.
    owners = {source.__module__ for source in expected}
    assert {
        "organise.campaigns.attention",
        "organise.reports.attention",
        "organise.organisers.attention",
    } <= owners


async def test_a_new_source_shows_its_lines_to_the_account_it_answers_for(app, client):
    asked: list[Asking[Organiser]] = []

    async def surveys(asking: Asking[Organiser]) -> list[Item]:
        asked.append(asking)
        if asking.account.username != "kim":
            return []
        return [
            Item(
                kind="surveys.release",
                text="<b>Survey</b> of the night shift closes on Friday.",
                route="campaign_organisers:detail",
                params=(("slug", "night-shift"),),
                link_text="Open it",
                fragment="release",
            )
        ]

    attention.install(app, [*app.state.attention_sources, surveys])
    await signed_in_organiser(client, "kim")
    [line] = await attention_lines(client)
    assert line.kind == "surveys.release"
    assert line.href == "/organisers/campaigns/night-shift#release"
    page = attention_section((await client.get("/organisers/")).text)
    assert "&lt;b&gt;Survey&lt;/b&gt;" in page  # text is escaped, never markup
    # Asked with the signed-in account, its private key from the session, the keystore, now.
    latest = asked[-1]
    assert latest.account.username == "kim"
    assert latest.private_key is not None
    assert latest.keystore is app.state.runtime.keystore

    client.cookies.clear()
    await signed_in_organiser(client, "lee")
    assert await attention_lines(client) == []
