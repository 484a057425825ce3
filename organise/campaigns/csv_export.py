"""Revealed pledges as CSV, safe to open in a spreadsheet.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return could be run as a formula
by spreadsheet software; such cells get a leading single quote so they are shown as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from typing import Any, TextIO

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


def write_header(handle: TextIO) -> None:
    csv.writer(handle, lineterminator="\r\n").writerow(headers())


def write_rows(handle: TextIO, records: Iterable[dict[str, Any]]) -> None:
    """Append records to a CSV begun with `write_header` (for writing a chunk at a time)."""
    csv.writer(handle, lineterminator="\r\n").writerows(
        [neutralise(record.get(column)) for column in COLUMNS] for record in records
    )


def to_csv(records: Iterable[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    write_header(buffer)
    write_rows(buffer, records)
    return buffer.getvalue()
