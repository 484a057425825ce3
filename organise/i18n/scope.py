"""Answer a block of code in a chosen language.

Printed sheets are rendered in the language the organiser picks, not the language of the
page that asked for them; tests use the same thing to read a page as a visitor would.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from organise.i18n import current_locale, languages


@contextmanager
def in_language(code: str) -> Iterator[str]:
    """Set the current locale to `code` for the block, then restore the previous one.

    An unknown code is refused (ValueError) rather than silently read as English: a sheet
    an organiser asked for in one language must not come out in another.
    """
    if code not in languages():
        raise ValueError(f"unknown language {code!r}")
    token = current_locale.set(code)
    try:
        yield code
    finally:
        current_locale.reset(token)
