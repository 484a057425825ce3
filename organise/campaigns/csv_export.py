"""Revealed pledges as CSV, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a formula
by spreadsheet software; such cells get a leading single quote so they are shown as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any

from organise.i18n import _

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
COLUMNS = ("name", "contact", "team", "message", "personal_threshold", "list_publicly")


def neutralise(value: object) -> str:
    if value is None:
        return ""
    text = (_("yes") if value else _("no")) if isinstance(value, bool) else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def headers() -> list[str]:
    return [
        _("Name or pseudonym"),
        _("Contact"),
        _("Team or role"),
        _("Message"),
        _("Personal threshold"),
        _("Listed publicly"),
    ]


def to_csv(records: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headers())
    for record in records:
        writer.writerow([neutralise(record.get(column)) for column in COLUMNS])
    return buffer.getvalue()
