"""What a reader sees of organisers' words, and how their translations are checked."""

from __future__ import annotations

import pytest

from organise.i18n import written

DEFAULTS = {"title": "Walk out", "demand": "We refuse."}


@pytest.fixture(autouse=True)
def site(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(written, "languages", lambda: ("en", "fr", "ar"))


def test_the_readers_language_when_given_whole_else_the_default_with_a_note():
    french = {"fr": {"title": "Débrayage", "demand": "Nous refusons."}}
    assert written.shown(DEFAULTS, french, "fr") == written.Shown(
        french["fr"], "fr", fallback=False
    )
    assert written.shown(DEFAULTS, french, "en") == written.Shown(DEFAULTS, "en", fallback=False)
    assert written.shown(DEFAULTS, french, "ar") == written.Shown(DEFAULTS, "en", fallback=True)
    half = {"fr": {"title": "Débrayage"}}  # a survey may leave parts out: those stay English
    shown = written.shown(DEFAULTS, half, "fr")
    assert shown.texts == {"title": "Débrayage", "demand": "We refuse."}
    assert shown.fallback
    assert shown.language == "en"


def test_a_language_is_named_in_the_readers_own():
    assert written.language_name("en", in_language="fr") == "anglais"
    assert written.language_name("en", in_language="de") == "Englisch"
    assert written.language_name("xx-not-a-language", in_language="fr") == "xx-not-a-language"


def test_every_problem_is_named_by_its_place_and_whole_languages_are_enforced():
    problems: dict[str, str] = {}
    found = written.check_translations(
        problems.setdefault,
        {
            "fr": {"title": "Débrayage"},
            "de": {"title": "Streik", "demand": "Wir weigern uns."},
            "ar": {"title": "x" * 11, "demand": "نرفض", "colour": "أحمر"},
        },
        {"title": 10, "demand": 100},
        whole=True,
    )
    assert set(problems) == {
        "translations.fr.demand",
        "translations.?",
        "translations.ar.title",
        "translations.ar.?",
    }
    assert "fr, ar" in problems["translations.?"]  # names the languages it may be
    assert [given.language for given in found] == ["fr", "ar"]
