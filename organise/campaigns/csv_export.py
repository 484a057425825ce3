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
from organise.web import spreadsheet

COLUMNS = ("name", "contact", "team", "message", "personal_threshold", "list_publicly")


def neutralise(value: object) -> str:
    """A pledge field as a safe cell; true/false read as yes/no."""
    if isinstance(value, bool):
        value = _("yes") if value else _("no")
    return spreadsheet.neutralise(value)


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
