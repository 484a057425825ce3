"""`@pytest.mark.publish_approvals(n)`: the app under test needs n approvals to publish."""

from __future__ import annotations

import dataclasses

import pytest

from organise.settings import Settings


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "publish_approvals(n): run the app with ORGANISE_PUBLISH_APPROVALS=n"
    )


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    marker = request.node.get_closest_marker("publish_approvals")
    if marker is None:
        return settings
    return dataclasses.replace(settings, publish_approvals=marker.args[0])
