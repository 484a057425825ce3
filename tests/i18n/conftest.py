"""The app with every language that has a catalogue enabled, complete or not, so that the
routing can be tested while translations are under way."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette

from organise.app import create_app
from organise.campaigns import ticker
from organise.i18n import DEFAULT_LOCALE, languages
from organise.settings import Settings

OTHER_LANGUAGES = [code for code in languages() if code != DEFAULT_LOCALE]


@pytest.fixture(autouse=True)
def no_background_ticker(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ticker, "INTERVAL_SECONDS", None)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(dataclasses.replace(settings, languages=languages()))
