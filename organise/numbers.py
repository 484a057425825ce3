"""Whole numbers typed by people, read strictly."""

from __future__ import annotations

import re

_DIGITS = re.compile(r"[0-9]+")


def whole_number(text: str, *, max_digits: int = 9) -> int | None:
    """The number written in ASCII digits (surrounding spaces allowed), or None.

    str.isdigit() is not enough: it also accepts "²" (which int() refuses) and "٣" (which
    int() reads), neither of which anybody means as a count.
    """
    text = text.strip()
    if len(text) > max_digits or not _DIGITS.fullmatch(text):
        return None
    return int(text)
