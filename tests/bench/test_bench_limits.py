"""The bench turns the failure limits off: its load would meet them long before the server's
capacity, and it measures work, not defences."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from bench.harness import Workspace
from crypto import codes
from organise.app import create_app
from organise.settings import Settings
from tests.conftest import BASE_URL


@pytest.fixture
def bench_settings(settings, tmp_path):
    """The test database, with the limits the bench's environment asks for."""
    space = Workspace(root=tmp_path / "bench", database_url="sqlite://unused")
    from_bench = Settings.from_environ(space.env())
    assert space.env()["ORGANISE_RATE_LIMIT"] == "off"
    return dataclasses.replace(settings, rate_limit=from_bench.rate_limit)


async def test_the_bench_environment_meets_no_failure_limit(bench_settings):
    assert bench_settings.rate_limit is None
    app = create_app(bench_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE_URL) as client:
            statuses = {
                (
                    await client.post(
                        "/api/v1/pledges/status", json={"receipt": codes.new_receipt()}
                    )
                ).status_code
                for _ in range(300)
            }
    assert statuses == {404}
