"""Random sequences of answers, replacements and withdrawals, then the release: wherever a count
is shown it is the direct count of the answers held at the close, and none under k is shown."""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from organise.surveys import answering, invites, release
from organise.surveys.models import Survey
from tests.surveys.conftest import make_survey

UNITS = ["Infra", "Ads"]
ISSUES = ["pay", "ethics", "ice"]
_slugs = itertools.count()

answers_strategy = st.fixed_dictionaries(
    {"unit": st.sampled_from(UNITS)},
    optional={
        "issues": st.lists(st.sampled_from(ISSUES), min_size=1, max_size=3, unique=True),
        "ready": st.integers(1, 5),
        "act_if": st.sampled_from([3, 5, 10]),
    },
)
step = st.one_of(
    st.tuples(st.just("answer"), answers_strategy),
    st.tuples(st.just("change"), st.integers(0, 30), answers_strategy),
    st.tuples(st.just("withdraw"), st.integers(0, 30)),
)


def _direct(held: list[dict[str, Any]]) -> dict[str, Counter[str]]:
    counts: dict[str, Counter[str]] = {q: Counter() for q in ("unit", "issues", "ready", "act_if")}
    for answer in held:
        for question, value in answer.items():
            for item in value if isinstance(value, list) else [value]:
                counts[question][str(item)] += 1
    return counts


@settings(
    max_examples=12,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(steps=st.lists(step, min_size=1, max_size=14))
async def test_shown_counts_are_the_direct_count_of_the_final_answers(app, client, steps):
    pepper = app.state.runtime.code_pepper
    survey = await make_survey(app, slug=f"prop-{next(_slugs)}")
    held: dict[str, dict[str, Any]] = {}  # receipt -> answer held now
    receipts: list[str] = []
    for action, *rest in steps:
        if action == "answer":
            (code,) = await invites.generate(survey, 1, pepper=pepper)
            done = await answering.answer(survey, rest[0], invite_code=code, pepper=pepper)
            receipts.append(done.receipt)
            held[done.receipt] = rest[0]
        elif receipts:
            receipt = receipts[rest[0] % len(receipts)]
            if receipt not in held:
                continue
            if action == "change":
                await answering.change(receipt, rest[1], pepper=pepper)
                held[receipt] = rest[1]
            else:
                await answering.withdraw(receipt, pepper=pepper)
                del held[receipt]
    assert await release.release(survey.id, keystore=app.state.runtime.keystore, early=True)
    results = (await Survey.get(id=survey.id)).results
    assert results is not None
    final = list(held.values())
    if len(final) < survey.k:
        assert results["responses"] is None
        return
    assert results["responses"] == len(final)
    direct = _direct(final)
    for question in results["questions"]:
        for option, count in question["counts"].items():
            expected = direct[question["id"]][option]
            if count is not None:
                assert count == expected, (question["id"], option)
            assert not 0 < expected < survey.k or count is None, (question["id"], option)
