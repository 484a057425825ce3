"""Keep the message catalogue in step with the code: `python -m organise.i18n.catalogue`.

Extracts every string from Python and templates into `messages.pot`, merges it into each
locale's `messages.po`, and fills English with the source text so it is always complete.
A test runs `stale_messages()` so that a string added without updating the catalogue fails.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from organise.i18n import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR

ROOT = Path(__file__).resolve().parents[2]
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)
KEYWORDS = {"_": None, "_l": None, "gettext": None, "lazy_gettext": None, "ngettext": (1, 2)}
METHODS = [
    ("organise/**.py", "python"),
    ("templates/**.html", "jinja2"),
    # Vocabulary data files: every "label" value is a message (see extract_json_labels).
    ("organise/**/taxonomy.json", "organise.i18n.catalogue:extract_json_labels"),
]
OPTIONS = {"templates/**.html": {"extensions": "jinja2.ext.i18n"}}


def extract_json_labels(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel extractor: the value of every "label" key, at any depth, in a JSON data file."""

    def labels(node: Any) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "label" and isinstance(value, str):
                    yield value
                else:
                    yield from labels(value)
        elif isinstance(node, list):
            for item in node:
                yield from labels(item)

    for label in labels(json.load(fileobj)):
        yield 0, "_", label, []


def extract() -> Catalog:
    catalog = Catalog(project="organise", charset="utf-8")
    for _filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        catalog.add(message, context=context)
    return catalog


def _po_path(locale: str) -> Path:
    return LOCALE_DIR / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


def stale_messages(locale: str = DEFAULT_LOCALE) -> set[str]:
    """Source strings missing from (or untranslated in) the locale's catalogue."""
    with _po_path(locale).open("rb") as handle:
        existing = read_po(handle, locale=locale)
    missing = set()
    for message in extract():
        if not message.id:
            continue
        found = existing.get(message.id)
        if (
            found is None
            or not found.string
            or (isinstance(found.string, tuple) and not all(found.string))
        ):
            missing.add(message.id if isinstance(message.id, str) else message.id[0])
    return missing


def update() -> None:
    template = extract()
    english = Catalog(
        locale=DEFAULT_LOCALE,
        project="organise",
        charset="utf-8",
        fuzzy=False,
        # Fixed dates: regenerating an unchanged catalogue must not change the file.
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
    )
    for message in template:
        if message.id:
            english.add(message.id, string=message.id, context=message.context)
    path = _po_path(DEFAULT_LOCALE)
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, english, omit_header=False, sort_output=True, no_location=True, width=100)
    path.write_bytes(buffer.getvalue())
    print(f"{len(english)} messages in {path.relative_to(ROOT)}")


if __name__ == "__main__":
    update()
