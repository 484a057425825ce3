"""Translations: every user-facing string goes through `gettext` (`_`).

Catalogues are kept as `.po` files (reviewable text) and compiled in memory on first use,
so nothing compiled is committed or built at install time.
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locales"
DEFAULT_LOCALE = "en"
DOMAIN = "messages"


@cache
def translations(locale: str = DEFAULT_LOCALE) -> Translations:
    po_path = LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with po_path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(fp=compiled, domain=DOMAIN)


def gettext(message: str) -> str:
    return translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations().ngettext(singular, plural, n)


_ = gettext
