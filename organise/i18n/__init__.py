"""Translations: every user-facing string goes through `gettext` (`_`).

Catalogues are kept as `.po` files (reviewable text) and compiled in memory on first use,
so nothing compiled is committed or built at install time. English is the source language;
every other catalogue holds the worker-facing messages only (docs/languages.md).
"""

from __future__ import annotations

import io
import json
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

from babel import Locale
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
DOMAIN = "messages"


@cache
def languages() -> tuple[str, ...]:
    """The languages the site speaks: the default, then one per catalogue under locales/."""
    found = sorted(path.name for path in LOCALE_DIR.iterdir() if (path / "LC_MESSAGES").is_dir())
    return (DEFAULT_LOCALE, *(code for code in found if code != DEFAULT_LOCALE))


def po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@cache
def _catalog(locale: str) -> Catalog:
    with po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def _translated(message: Any) -> bool:
    if isinstance(message.string, tuple):
        return all(message.string)
    return bool(message.string)


@cache
def translated_ids(locale: str) -> frozenset[str]:
    """The msgids (singular) that `locale`'s catalogue translates."""
    if not po_path(locale).exists():
        return frozenset()
    return frozenset(
        m.id if isinstance(m.id, str) else m.id[0]
        for m in _catalog(locale)
        if m.id and _translated(m)
    )


@cache
def english_ids() -> frozenset[str]:
    return translated_ids(DEFAULT_LOCALE)


@cache
def is_complete(locale: str) -> bool:
    """Every message the catalogue lists is translated (the catalogue tool lists every
    worker-facing message in every language, untranslated ones with an empty string)."""
    if locale == DEFAULT_LOCALE:
        return True
    if not po_path(locale).exists():
        return False
    messages = [m for m in _catalog(locale) if m.id]
    return bool(messages) and all(_translated(m) for m in messages)


@cache
def complete_languages() -> tuple[str, ...]:
    """The default for ORGANISE_LANGUAGES: English and every complete catalogue."""
    return tuple(code for code in languages() if is_complete(code))


@cache
def babel_locale(locale: str) -> Locale:
    # The English text is British ("organise"): dates read "3 March 2026", not "March 3".
    return Locale.parse("en_GB" if locale == DEFAULT_LOCALE else locale)


def text_direction(locale: str) -> str:
    return "rtl" if babel_locale(locale).character_order == "right-to-left" else "ltr"


def language_name(locale: str) -> str:
    """The language's name in itself ("Français"): a reader who cannot read the current page
    can still find their own language in the menu."""
    name = Locale.parse(locale).get_display_name(locale) or locale
    return name[:1].upper() + name[1:]


@cache
def review_status(locale: str) -> dict[str, str] | None:
    """Who reviewed the catalogue as a native speaker, and when; None until someone has.

    English is the source text, reviewed by definition.
    """
    if locale == DEFAULT_LOCALE:
        return {"by": "source text", "date": ""}
    path = LOCALE_DIR / locale / "review.json"
    if not path.exists():
        return None
    review = json.loads(path.read_text(encoding="utf-8")).get("native_speaker_review")
    if not isinstance(review, dict) or not review.get("by"):
        return None
    return {"by": str(review["by"]), "date": str(review.get("date", ""))}


@cache
def translations(locale: str = DEFAULT_LOCALE) -> Translations:
    if locale != DEFAULT_LOCALE and not po_path(locale).exists():
        return translations(DEFAULT_LOCALE)  # a language with no catalogue reads the default
    compiled = io.BytesIO()
    write_mo(compiled, _catalog(locale))
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


# The language of the request being answered; English until a request sets another.
current_locale: ContextVar[str] = ContextVar("organise_locale", default=DEFAULT_LOCALE)


# (locale, msgid) of every known English message looked up in a language that lacks it: the
# test that walks every page in every language reads this. Bounded by the catalogue's size.
untranslated: set[tuple[str, str]] = set()


def _note_miss(locale: str, message: str) -> None:
    if (
        locale != DEFAULT_LOCALE
        and message not in translated_ids(locale)
        and message in english_ids()
    ):
        untranslated.add((locale, message))


def gettext(message: str) -> str:
    locale = current_locale.get()
    _note_miss(locale, message)
    return translations(locale).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    locale = current_locale.get()
    _note_miss(locale, singular)
    return translations(locale).ngettext(singular, plural, n)


class LazyText:
    """A message translated when it is shown, in the language of the request showing it.

    Field tables and other module-level constants are built before any request exists, so
    they hold these instead of strings. `params` are interpolated after translation; a
    parameter may itself be a LazyText.
    """

    __slots__ = ("message", "params")

    def __init__(self, message: str, **params: Any) -> None:
        self.message = message
        self.params = params

    def __str__(self) -> str:
        text = gettext(self.message)
        if not self.params:
            return text
        return text % {
            name: str(value) if isinstance(value, LazyText) else value
            for name, value in self.params.items()
        }

    def __repr__(self) -> str:
        return f"LazyText({self.message!r})"

    def __eq__(self, other: object) -> bool:
        return str(self) == (str(other) if isinstance(other, LazyText | str) else other)

    def __hash__(self) -> int:
        return hash(self.message)


def lazy_gettext(message: str, **params: Any) -> LazyText:
    return LazyText(message, **params)


# Text that may be translated now (str) or when shown (LazyText).
Message = str | LazyText

_ = gettext
_l = lazy_gettext
