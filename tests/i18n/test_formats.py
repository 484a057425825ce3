"""Dates, numbers and plurals are written the way each language writes them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from babel.messages.pofile import read_po

from organise.i18n import _, current_locale, languages, ngettext, po_path
from organise.i18n.formats import day, moment, number

MONDAY = date(2026, 3, 2)


@contextlib.contextmanager
def reading_in(locale: str) -> Iterator[None]:
    token = current_locale.set(locale)
    try:
        yield
    finally:
        current_locale.reset(token)


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        ("en", "week of 2 March 2026"),
        ("fr", "semaine du 2 mars 2026"),
        ("de", "2. März 2026"),
        ("es", "2 de marzo de 2026"),
        ("nl", "2 maart 2026"),
    ],
)
def test_a_week_reads_naturally(locale, expected):
    if locale not in languages():
        pytest.skip(f"no {locale} catalogue")
    with reading_in(locale):
        assert expected in _("week of %(date)s") % {"date": day(MONDAY)}


def test_times_and_numbers_follow_the_language():
    at = datetime(2026, 3, 2, 18, 5, tzinfo=UTC)
    with reading_in("en"):
        assert moment(at) == "2 Mar 2026, 18:05 UTC"
        assert number(12345) == "12,345"
    with reading_in("de"):
        assert moment(at) == "02.03.2026, 18:05 UTC"
        assert number(12345) == "12.345"
    with reading_in("fr"):
        assert number(12345) == "12\u202f345"


@pytest.mark.skipif("ar" not in languages(), reason="no Arabic catalogue")
def test_arabic_has_its_six_plural_forms():
    singular = "%(count)d pledge of the %(threshold)d needed"
    plural = "%(count)d pledges of the %(threshold)d needed"
    with po_path("ar").open("rb") as handle:
        written = read_po(handle, locale="ar").get(singular).string
    assert len(written) == 6  # zero, one, two, few, many, other
    with reading_in("ar"):
        shown = [ngettext(singular, plural, n) for n in (0, 1, 2, 3, 11, 100)]
    assert shown == list(written)
