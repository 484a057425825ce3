"""The survey definition form takes the survey's words in each language the site serves: the
title, the introduction, each question and its option labels, by position. They are words
only: the answers are counted by the options of the default language."""

from __future__ import annotations

import dataclasses

import pytest
from starlette.applications import Starlette

from organise.app import create_app
from organise.i18n import written
from organise.settings import Settings
from organise.surveys.models import Survey
from tests.support import post_form, signed_in_organiser
from tests.surveys.test_organiser_pages import _structured

SITE = ("en", "fr")


@pytest.fixture(autouse=True)
def languages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(written, "languages", lambda: SITE)


@pytest.fixture
def app(settings: Settings) -> Starlette:
    return create_app(dataclasses.replace(settings, languages=SITE))


async def test_the_form_takes_each_languages_words_and_the_page_shows_them(app, client):
    await signed_in_organiser(client, "alex")
    form = await client.get("/organisers/surveys/new")
    assert 'name="translations.fr.title"' in form.text
    assert 'name="translations.fr.q0_options"' in form.text
    french = {
        "translations.fr.title": "Êtes-vous prêts ?",
        "translations.fr.q0_text": "Où travaillez-vous ?",
        "translations.fr.q0_options": "Infrastructures\r\n\r\n",  # Ads keeps its label
    }
    made = await post_form(client, "/organisers/surveys/new", _structured(**french))
    assert made.status_code == 303, made.text
    survey = await Survey.get(slug="readiness")
    assert survey.translations == {
        "fr": {
            "title": "Êtes-vous prêts ?",
            "questions": {
                "unit": {"text": "Où travaillez-vous ?", "options": {"Infra": "Infrastructures"}}
            },
        }
    }
    assert survey.questions[0]["options"] == ["Infra", "Ads"]  # counted by these, always
    page = await client.get("/fr/surveys/readiness", follow_redirects=True)
    assert "Êtes-vous prêts ?" in page.text
    assert "Infrastructures" in page.text
    assert 'value="Infra"' in page.text
    # Question 3 and the Ads label have no French: the page says the survey is in English.
    assert "Cette enquête est rédigée en anglais." in page.text
    english = await client.get("/surveys/readiness", follow_redirects=True)
    assert "Êtes-vous prêts ?" not in english.text
    assert "rédigée" not in english.text


async def test_labels_for_options_that_do_not_exist_are_refused_and_nothing_is_kept(app, client):
    await signed_in_organiser(client, "alex")
    refused = await post_form(
        client,
        "/organisers/surveys/new",
        _structured(
            **{
                "translations.fr.q0_options": "Infrastructures\r\nPublicité\r\nEn trop",
                "translations.fr.q2_options": "cinq",  # a threshold's options are numbers
            }
        ),
    )
    assert refused.status_code == 422, refused.text
    assert "translations.fr.questions.unit.options" in refused.text
    assert "translations.fr.questions.q3.options" in refused.text
    assert "En trop" in refused.text  # typed back beside the problems
    assert not await Survey.exists()
