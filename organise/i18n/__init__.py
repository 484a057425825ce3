"""Translations: every user-facing string goes through `gettext` (`_`).

Catalogues are kept as `.po` files (reviewable text) and compiled in memory on first use,
so nothing compiled is committed or built at install time.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path
from typing import Any

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


@cache
def translations(locale: str = DEFAULT_LOCALE) -> Translations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    if locale != DEFAULT_LOCALE and not po_path.exists():
        return translations(DEFAULT_LOCALE)  # a language with no catalogue reads the default
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


# The language of the request being answered; English until a request sets another.
current_locale: ContextVar[str] = ContextVar("organise_locale", default=DEFAULT_LOCALE)


def gettext(message: str) -> str:
    return translations(current_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_locale.get()).ngettext(singular, plural, n)


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
