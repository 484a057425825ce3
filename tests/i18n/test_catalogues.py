"""Every language's catalogue lists exactly the worker-facing messages, and an enabled one
translates them all; the catalogue tool merges without losing or inventing translations."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.pofile import read_po

from organise.i18n import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR, complete_languages, languages
from organise.i18n import catalogue as tool
from organise.settings import Settings

OTHER_LANGUAGES = [code for code in languages() if code != DEFAULT_LOCALE]


@pytest.fixture(scope="module")
def wanted() -> dict[str, str | None]:
    return tool.worker_messages()


def test_worker_messages_leave_out_only_what_organisers_alone_read(wanted):
    assert "Leave now" in wanted  # every worker page
    assert "Your receipt" in wanted or any("receipt" in msgid for msgid in wanted)
    assert "There is no page at this address." in wanted  # error pages
    # Used only in organiser pages and the command line: stays English.
    english = {m.id if isinstance(m.id, str) else m.id[0] for m in tool.extract() if m.id}
    organiser_only = english - set(wanted)
    assert organiser_only, "some messages are for organisers only"
    assert all(msgid in english for msgid in wanted)


def test_the_rule_reads_file_names_as_documented():
    assert tool.is_organiser_only("templates/organisers/home.html")
    assert tool.is_organiser_only("templates/campaigns/organisers/detail.html")
    assert tool.is_organiser_only("templates/reports/review/report.html")
    assert tool.is_organiser_only("organise/campaigns/organiser_pages.py")
    assert tool.is_organiser_only("organise/organisers/accounts.py")
    assert tool.is_organiser_only("organise/surveys/cli.py")
    assert not tool.is_organiser_only("templates/campaigns/sign.html")
    assert not tool.is_organiser_only("organise/web/errors.py")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_no_catalogue_keeps_a_message_that_is_gone(code, wanted):
    _missing, obsolete = tool.catalogue_problems(code, wanted)
    assert obsolete == set(), f"run `python -m organise.i18n.catalogue` ({code})"


@pytest.mark.parametrize("code", [c for c in Settings.from_environ({}).languages if c != "en"])
def test_every_enabled_catalogue_translates_every_worker_message(code, wanted):
    missing, _obsolete = tool.catalogue_problems(code, wanted)
    assert missing == set(), f"{code} lacks {len(missing)} worker messages"


def test_only_complete_catalogues_are_enabled_by_default(wanted):
    for code in complete_languages():
        if code != DEFAULT_LOCALE:
            assert tool.catalogue_problems(code, wanted) == (set(), set())


def _po(path, entries: dict[str, str]) -> None:
    lines = ['msgid ""', 'msgstr ""', '"Language: fr\\n"', ""]
    for msgid, msgstr in entries.items():
        lines += [f'msgid "{msgid}"', f'msgstr "{msgstr}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def test_merging_keeps_translations_drops_the_obsolete_and_invents_nothing(tmp_path, monkeypatch):
    monkeypatch.setattr(tool, "LOCALE_DIR", tmp_path)
    path = tmp_path / "fr" / "LC_MESSAGES" / "messages.po"
    _po(path, {"Leave now": "Partir maintenant", "A message no longer used": "Un message"})
    wanted = {"Leave now": None, "Campaigns": None, "%(n)d pledge": "%(n)d pledges"}

    assert tool.merge("fr", wanted) == (1, 2)

    with path.open("rb") as handle:
        merged = read_po(handle, locale="fr")
    assert merged.get("Leave now").string == "Partir maintenant"
    assert merged.get("Campaigns").string == ""  # listed, untranslated
    assert merged.get("%(n)d pledge").string == ("", "", "")  # French has three plural forms
    assert merged.get("A message no longer used") is None
    assert tool.catalogue_problems("fr", wanted) == ({"Campaigns", "%(n)d pledge"}, set())
    before = path.read_bytes()
    tool.merge("fr", wanted)
    assert path.read_bytes() == before  # running the tool again changes nothing


def test_translators_get_the_same_list_as_the_tests(wanted, capsys):
    tool.print_worker_messages()
    listed = json.loads(capsys.readouterr().out)
    assert [entry["id"] for entry in listed] == sorted(wanted)
    plural = next(entry for entry in listed if entry["plural"])
    assert plural["plural"] == wanted[plural["id"]]


MARKUP = re.compile(r"<[^>]*>|&#?\w+;")


@pytest.mark.parametrize("code", OTHER_LANGUAGES)
def test_a_translation_carries_no_markup_its_english_lacks(code):
    # Templates treat a translation as HTML: a catalogue line must not be able to add a link
    # or any other element to every page in its language, whoever reviews it.
    with (LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po").open("rb") as handle:
        catalogue = read_po(handle, locale=code)
    added = {}
    for message in catalogue:
        if not message.id:
            continue
        source = message.id if isinstance(message.id, str) else message.id[0]
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            if sorted(MARKUP.findall(form or "")) != sorted(MARKUP.findall(source)):
                added[source] = form
    assert added == {}
