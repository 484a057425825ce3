"""Every user-facing string is in the English catalogue."""

from __future__ import annotations

from organise.i18n import gettext
from organise.i18n.catalogue import extract, stale_messages


def test_english_catalogue_is_complete():
    assert stale_messages() == set(), "run `python -m organise.i18n.catalogue` and commit"


def test_strings_are_extracted_from_python_and_templates():
    ids = {message.id for message in extract() if message.id}
    assert "That account name, passphrase or code is not right." in ids  # Python
    assert "What we cannot protect" in ids  # a template
    assert gettext("What we cannot protect") == "What we cannot protect"
