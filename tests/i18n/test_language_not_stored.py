"""The language a worker reads in is stored with nothing they create: a pledge, a report or
survey answers sent from /fr/ leave the same kind of rows as from the English pages, and no
column names or holds the language (a minority language would be a small cell of its own)."""

from __future__ import annotations

import json
import re

from tortoise import Tortoise

from organise.i18n import language_name
from tests.campaigns.conftest import make_campaign, make_codes
from tests.i18n.test_every_page_in_every_language import REPORT
from tests.support import post_form
from tests.surveys.conftest import codes_for, make_survey

LANGUAGE_WORDS = re.compile(r"(^|[^a-z])(fr|fra|fre|fr[-_]fr|french|français)([^a-z]|$)", re.I)


async def _every_row() -> dict[str, list[dict]]:
    rows = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            rows[model._meta.db_table] = await model.all().values()
    return rows


def _texts(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict | list):
        return [json.dumps(value, ensure_ascii=False)]
    return []


async def test_nothing_a_worker_sends_from_a_language_address_keeps_the_language(app, client):
    campaign = (await make_campaign(app)).campaign
    [invite] = await make_codes(app, campaign, 1)
    survey = await make_survey(app)
    [survey_code] = await codes_for(app, survey)
    before = {table: len(rows) for table, rows in (await _every_row()).items()}

    form = await client.get("/fr/campaigns/walkout/sign", follow_redirects=True)
    signed = await post_form(
        client, form.url.raw_path.decode(), {"name": "Rosa", "invite_code": invite}
    )
    assert signed.status_code == 200
    form = await client.get("/fr/reports/new", follow_redirects=True)
    assert (await post_form(client, form.url.raw_path.decode(), REPORT)).status_code == 201
    form = await client.get("/fr/surveys/cloud-2027", follow_redirects=True)
    sent = await post_form(
        client, form.url.raw_path.decode(), {"unit": "Infra", "invite_code": survey_code}
    )
    assert sent.status_code == 200

    after = await _every_row()
    grown = [table for table, rows in after.items() if len(rows) > before[table]]
    assert grown  # the pledge, the report, the answers
    for table in grown:
        for row in after[table]:
            for column, value in row.items():
                assert not re.search(r"lang|locale", column, re.I), f"{table}.{column}"
                for text in _texts(value):
                    assert not LANGUAGE_WORDS.search(text), f"{table}.{column} holds {text!r}"
                    assert language_name("fr") not in text
