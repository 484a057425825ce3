"""Each language translates the project's terms (pledge, threshold, receipt, invite code,
gatekeeper, cooling-off, reveal) one way, the way its glossary says."""

from __future__ import annotations

import pytest

from organise.i18n import DEFAULT_LOCALE, languages
from organise.i18n.catalogue import TERMS, glossary_problems


@pytest.mark.parametrize("code", [code for code in languages() if code != DEFAULT_LOCALE])
def test_no_term_is_translated_two_ways(code):
    assert glossary_problems(code) == []


def test_a_term_translated_otherwise_is_found(tmp_path, monkeypatch):
    from organise.i18n import catalogue as tool

    glossary = tmp_path / "glossary"
    glossary.mkdir()
    (glossary / "fr.json").write_text(
        "{"
        + ", ".join(f'"{term}": {{"match": ["x"]}}' for term in TERMS if term != "receipt")
        + ', "receipt": {"match": ["reçu"]}}',
        encoding="utf-8",
    )
    locales = tmp_path / "locales" / "fr" / "LC_MESSAGES"
    locales.mkdir(parents=True)
    (locales / "messages.po").write_text(
        'msgid ""\nmsgstr ""\n"Language: fr\\n"\n\n'
        'msgid "Keep your receipt."\nmsgstr "Gardez votre récépissé."\n\n'
        'msgid "Your receipt"\nmsgstr "Votre reçu"\n',
        encoding="utf-8",
    )
    monkeypatch.setattr(tool, "GLOSSARY_DIR", glossary)
    monkeypatch.setattr(tool, "LOCALE_DIR", tmp_path / "locales")
    problems = glossary_problems("fr")
    assert len(problems) == 1
    assert "récépissé" in problems[0]
