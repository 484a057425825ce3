"""The release: counted once in memory, only suppressed tables kept, texts for the team, keys gone;
and before it, nothing readable anywhere and no counter that moves."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import anyio
import pytest
from tortoise import Tortoise

from crypto.keystore import Keystore
from organise import claims, sorting
from organise.organisers import rekeying
from organise.refusal import Refused
from organise.surveys import keys, lifecycle, release
from organise.surveys.models import Survey, SurveyResponse, SurveyState, SurveyTextChunk
from tests.conftest import ON_POSTGRES
from tests.support import PASSPHRASE, make_organiser
from tests.surveys.conftest import CANARY, answered, in_days, make_survey


async def database_dump() -> dict[str, list[str]]:
    """Every row of every table, as text: what a copy of the database holds."""
    dump: dict[str, list[str]] = {}
    for models in Tortoise.apps.values():
        for model in models.values():
            rows = await model.all().values()
            dump[model._meta.db_table] = sorted(repr(sorted(row.items())) for row in rows)
    return dump


def _keystore(app: Any) -> Keystore:
    return app.state.runtime.keystore


ANSWERS: list[dict[str, Any]] = [
    {"unit": "Infra", "issues": ["pay"], "ready": 5, "act_if": 3, "why": f"{CANARY} one"},
    {"unit": "Infra", "issues": ["pay", "ice"], "ready": 5, "act_if": 3, "why": f"{CANARY} two"},
    {"unit": "Infra", "issues": ["ice"], "ready": 4, "act_if": 5, "why": f"{CANARY} three"},
    {"unit": "Infra", "issues": ["pay"], "ready": 5, "act_if": 3},
    {"unit": "Ads", "ready": 1, "act_if": 10},
]
ADS: dict[str, Any] = {"unit": "Ads", "ready": 2, "act_if": 10}


async def test_two_database_copies_around_one_answer_differ_by_no_counter(app, client):
    survey = await make_survey(app)
    await answered(app, client, survey, ANSWERS[0])
    before = await database_dump()
    await answered(app, client, survey, ANSWERS[1])
    after = await database_dump()
    changed = {table for table in before if before[table] != after[table]}
    # The new sealed row, and the invite code made for it and used by it: nothing else.
    assert changed <= {"survey_response", "survey_invite"}
    assert before["survey"] == after["survey"]
    assert len(after["survey_response"]) == len(before["survey_response"]) + 1


async def test_no_column_holds_choices_or_texts_in_the_clear(app, client):
    survey = await make_survey(app)
    for answer in ANSWERS:
        await answered(app, client, survey, answer)
    rows = await SurveyResponse.all().values()
    assert set(rows[0]) == {
        "id",
        "survey_id",
        "sealed_choices",
        "sealed_texts",
        "receipt_hash",
        "week",
    }
    for row in rows:
        assert row["week"].weekday() == 0  # a Monday: the week, never the day or the hour
        for value in row.values():
            text = value if isinstance(value, bytes) else str(value).encode()
            for needle in (b"Infra", b"Ads", b"pay", b"ice", CANARY.encode(), b'"ready"'):
                assert needle not in text
    # Nothing in any other table of the survey moved either.
    dump = await database_dump()
    for table, lines in dump.items():
        if table.startswith("survey"):
            assert not any(CANARY in line for line in lines)


async def test_no_text_answer_reaches_a_file_of_the_instance_before_the_close(
    app, client, settings
):
    survey = await make_survey(app)
    for answer in ANSWERS:
        await answered(app, client, survey, answer)
    files: list[Path] = [path for path in settings.instance_dir.rglob("*") if path.is_file()]
    if not ON_POSTGRES:
        database = Path(settings.database_url.removeprefix("sqlite://"))
        files += [path for path in database.parent.iterdir() if path.is_file()]
    _keystore(app).checkpoint()
    assert files
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path.name


async def test_the_release_counts_once_keeps_tables_and_destroys_the_arrival_keys(app, client):
    owner = await make_organiser("alex")
    survey = await make_survey(app)
    receipts = [await answered(app, client, survey, answer) for answer in ANSWERS]
    # Three people of the small unit answer too, so that some cells can be shown at k = 3.
    for _ in range(3):
        await answered(app, client, survey, ADS)
    gone = await client.post("/api/v1/surveys/responses/withdraw", json={"receipt": receipts[4]})
    assert gone.status_code == 200
    assert await release.release(survey.id, keystore=_keystore(app), early=True)
    assert not await release.release(survey.id, keystore=_keystore(app), early=True)
    survey = await Survey.get(id=survey.id)
    assert survey.state == SurveyState.RELEASED
    results = survey.results
    assert results is not None
    assert results["responses"] == 7
    counts = {q["id"]: q for q in results["questions"]}
    # Every shown cell is the direct count of the answers still held (the withdrawn "Ads"
    # answer is not among them); a cell under k is never shown.
    held = [*ANSWERS[:4], ADS, ADS, ADS]
    shown = 0
    for question in ("unit", "ready", "act_if", "issues"):
        for option, count in counts[question]["counts"].items():
            direct = sum(
                1
                for answer in held
                if str(answer.get(question)) == option
                or option
                in (answer.get(question) if isinstance(answer.get(question), list) else [])
            )
            assert count is None or count == direct, (question, option)
            assert not (0 < direct < 3) or count is None, (question, option)
            shown += count is not None and count > 0
    assert counts["issues"]["counts"]["pay"] == 3
    # "Would act if 5 did": the three who said 3 and the one who said 5.
    assert counts["act_if"]["cumulative"]["5"] == 4
    # The unit's two cells stay hidden: shown beside the crosstabs, they would let a reader
    # work out a cell under k (the suppression section of docs/surveys.md).
    assert counts["unit"]["counts"] == {"Infra": None, "Ads": None}
    # The arrival keys are gone; the sealed answers are emptied.
    names = set(_keystore(app).names(keys.survey_prefix(survey.id)))
    assert keys.tally_key(survey.id) not in names
    assert keys.text_key(survey.id) not in names
    assert not await SurveyResponse.filter(sealed_choices__isnull=False).exists()
    # The receipts now show the results.
    status = await client.post("/api/v1/surveys/responses/status", json={"receipt": receipts[0]})
    assert status.json()["results"]["responses"] == 7
    # Three texts (k = 3): kept for the team, shuffled, readable with a member's key.
    private = await rekeying.unlock(owner, PASSPHRASE, keystore=_keystore(app))
    texts = await release.team_texts(survey, private, _keystore(app))
    assert sorted(record["text"] for record in texts) == [
        f"{CANARY} one",
        f"{CANARY} three",
        f"{CANARY} two",
    ]
    assert await SurveyTextChunk.filter(survey_id=survey.id).exists()


async def test_many_texts_are_shuffled_in_sealed_runs_and_stored_a_few_chunks_at_a_time(
    app, client, monkeypatch
):
    """More texts than a sorting run and than a chunk: every one reaches the team, in an order
    that is not the order of writing, and none touches the disk readable on the way."""
    monkeypatch.setattr(sorting, "RUN_RECORDS", 4)
    monkeypatch.setattr(sorting, "BLOCK_RECORDS", 3)
    monkeypatch.setattr(release, "TEXT_CHUNK_RECORDS", 5)
    monkeypatch.setattr(release, "STORE_CHUNKS", 2)
    written: list[bytes] = []
    pwrite = sorting.os.pwrite

    def spying_pwrite(fd: int, data: bytes, offset: int) -> int:
        written.append(bytes(data))
        return pwrite(fd, data, offset)

    monkeypatch.setattr(sorting.os, "pwrite", spying_pwrite)
    owner = await make_organiser("alex")
    survey = await make_survey(app)
    said = [f"{CANARY} {n:02d}" for n in range(23)]
    for text in said:
        await answered(app, client, survey, {"unit": "Infra", "why": text})
    assert await release.release(survey.id, keystore=_keystore(app), early=True)
    survey = await Survey.get(id=survey.id)
    private = await rekeying.unlock(owner, PASSPHRASE, keystore=_keystore(app))
    texts = [record["text"] for record in await release.team_texts(survey, private, _keystore(app))]
    assert sorted(texts) == said
    assert texts != said  # 1 chance in 23! of failing by luck
    assert await SurveyTextChunk.filter(survey_id=survey.id).count() == 5
    assert len(written) >= 23 // 3  # the runs went to the file...
    assert not any(CANARY.encode() in block for block in written)  # ...sealed


async def test_below_k_texts_are_destroyed_unread_and_nothing_is_counted(app, client):
    owner = await make_organiser("alex")
    survey = await make_survey(app)
    for answer in ANSWERS[:2]:
        await answered(app, client, survey, answer)
    assert await release.release(survey.id, keystore=_keystore(app), early=True)
    survey = await Survey.get(id=survey.id)
    assert survey.results is not None
    assert survey.results["responses"] is None
    assert all(count is None for q in survey.results["questions"] for count in q["counts"].values())
    assert survey.texts_head is None
    assert not await SurveyTextChunk.all().exists()
    assert not await SurveyResponse.all().exists()
    private = await rekeying.unlock(owner, PASSPHRASE, keystore=_keystore(app))
    with pytest.raises(Refused) as refused:
        await release.team_texts(survey, private, _keystore(app))
    assert refused.value.code == "no_texts"
    assert _keystore(app).names(keys.survey_prefix(survey.id)) == []


async def test_the_tick_closes_at_the_closing_time_and_the_retention_ends_the_texts(app, client):
    survey = await make_survey(app)
    for answer in ANSWERS[:3]:
        await answered(app, client, survey, answer)
    early = await lifecycle.tick(_keystore(app), now=in_days(1))
    assert early.released == 0
    report = await lifecycle.tick(_keystore(app), now=in_days(15))
    assert report.released == 1
    survey = await Survey.get(id=survey.id)
    assert survey.texts_head is not None
    assert keys.texts_key(survey.id) in _keystore(app).names(keys.survey_prefix(survey.id))
    later = await lifecycle.tick(_keystore(app), now=in_days(15 + 31))
    assert later.texts_destroyed == 1
    survey = await Survey.get(id=survey.id)
    assert survey.texts_head is None
    assert survey.texts_destroyed
    assert _keystore(app).names(keys.survey_prefix(survey.id)) == []
    assert not await SurveyResponse.all().exists()
    # The tables stay.
    assert survey.results is not None
    assert survey.results["responses"] == 3


async def test_a_long_count_keeps_its_claim_and_is_never_started_again_beside_it(
    app, client, monkeypatch
):
    """A large survey takes minutes to count: the release renews its claim while it counts, so
    the tick's clean-up of dead claims never hands the survey to a second release meanwhile."""
    survey = await make_survey(app)
    for answer in ANSWERS:
        await answered(app, client, survey, answer)
    monkeypatch.setattr(claims, "STALE_CLAIM", timedelta(seconds=0.3))
    monkeypatch.setattr(claims, "CLAIM_RENEWAL", timedelta(seconds=0.05))
    counting = release._count

    def slow_count(*args: Any) -> Any:
        time.sleep(1.0)  # the count outlives STALE_CLAIM several times over
        return counting(*args)

    monkeypatch.setattr(release, "_count", slow_count)
    reset: list[int] = []

    async def clean_up_dead_claims() -> None:
        for _ in range(8):
            await anyio.sleep(0.12)
            reset.append(await release.release_stale_claims(datetime.now(UTC)))

    async with anyio.create_task_group() as group:
        group.start_soon(clean_up_dead_claims)
        assert await release.release(survey.id, keystore=_keystore(app), early=True)
    assert reset == [0] * 8
    assert (await Survey.get(id=survey.id)).state == SurveyState.RELEASED
