"""Account operations under real concurrency (PostgreSQL): a recovery code stays one-time, and
two admins disabling each other at once leave one admin standing. (A reset code's race is in
tests/campaigns/test_one_time_races.py, beside the enrolment code's.)"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from organise.organisers import people, recovery
from organise.organisers.models import Organiser
from organise.refusal import Refused
from organise.roles import Role
from tests.conftest import ON_POSTGRES
from tests.support import make_organiser

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(not ON_POSTGRES, reason="races only mean something on PostgreSQL"),
    pytest.mark.timeout(120),
]


async def test_one_recovery_code_used_twice_at_once_works_once(app, client):
    kim = await make_organiser("kim")
    secret_key = app.state.runtime.secret_key
    [code, *_rest] = await recovery.new_codes(kim, secret_key=secret_key)
    outcomes = await asyncio.gather(
        *(recovery.use_code(kim, code, secret_key=secret_key) for _ in range(4))
    )
    assert sorted(outcomes) == [False, False, False, True]
    assert await recovery.remaining(kim) == 9


async def test_two_admins_disabling_each_other_at_once_leave_one_admin(app, client):
    first = await make_organiser("ada", Role.ADMIN)
    second = await make_organiser("bea", Role.ADMIN)
    now = datetime.now(UTC)
    outcomes = await asyncio.gather(
        people.disable(first, "bea", now=now),
        people.disable(second, "ada", now=now),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, Refused)]
    assert len(refused) == 1, outcomes
    assert refused[0].code in {"last_admin", "forbidden"}
    assert await Organiser.filter(role=Role.ADMIN, disabled=False).count() == 1
