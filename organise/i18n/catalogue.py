"""Keep the message catalogues in step with the code: `python -m organise.i18n.catalogue`.

Extracts every string from Python and templates. English is filled with the source text, so
it is always complete. Every other language's `messages.po` lists exactly the worker-facing
messages (`worker_messages()`: organiser pages stay English): new ones are added untranslated,
translations are kept, messages no longer worker-facing are dropped, nothing is invented.
Tests run `stale_messages()` and `catalogue_problems()` so that a string added without
updating the catalogues fails. `--worker-messages` prints the list to translate, as JSON.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

from babel import Locale
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po, write_po

from organise.i18n import DEFAULT_LOCALE, DOMAIN, LOCALE_DIR, languages

GLOSSARY_DIR = Path(__file__).parent / "glossary"
# The project's terms, and how each is found in an English message. Each language's glossary
# (glossary/<lang>.json) picks one word per term and lists its stems ("match"); every message
# whose English uses the term must use that word, so no term is translated two ways.
TERMS = {
    "pledge": r"\bpledg",
    "threshold": r"\bthreshold",
    "receipt": r"\breceipt",
    "invite code": r"\binvite codes?\b",
    "gatekeeper": r"\bgatekeeper",
    "cooling-off": r"\bcooling[- ]off",
    "reveal": r"\breveal",
}

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


# Files whose messages only organisers read (their pages, the command line); a message used
# anywhere else is worker-facing and is translated into every language.
ORGANISER_ONLY = re.compile(
    r"(^templates/organisers/|^templates/\w+/organisers/|^templates/reports/review/"
    r"|^organise/\w+/organiser_|^organise/organisers/|cli\.py$)"
)


def _extracted() -> Iterator[tuple[str, str | tuple[str, ...], str | None]]:
    for filename, _lineno, message, _comments, context in extract_from_dir(
        ROOT, method_map=METHODS, options_map=OPTIONS, keywords=KEYWORDS
    ):
        yield filename.replace("\\", "/"), message, context


def extract() -> Catalog:
    catalog = Catalog(project="organise", charset="utf-8")
    for _filename, message, context in _extracted():
        catalog.add(message, context=context)
    return catalog


def is_organiser_only(filename: str) -> bool:
    return ORGANISER_ONLY.search(filename) is not None


def worker_messages() -> dict[str, str | None]:
    """Every worker-facing message: {singular msgid: plural msgid or None}.

    A message is worker-facing when at least one place that uses it is outside the
    organisers' own pages and command-line tools.
    """
    found: dict[str, str | None] = {}
    organiser_only: dict[str, bool] = {}
    for filename, message, _context in _extracted():
        singular, plural = (message, None) if isinstance(message, str) else message[:2]
        if not singular:
            continue
        found.setdefault(singular, plural)
        organiser_only[singular] = organiser_only.get(singular, True) and is_organiser_only(
            filename
        )
    return {msgid: plural for msgid, plural in found.items() if not organiser_only[msgid]}


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


def _read(locale: str) -> Catalog:
    with _po_path(locale).open("rb") as handle:
        return read_po(handle, locale=locale)


def _translated(message: Message | None) -> bool:
    if message is None:
        return False
    if isinstance(message.string, tuple):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def catalogue_problems(
    locale: str, wanted: dict[str, str | None] | None = None
) -> tuple[set[str], set[str]]:
    """(missing, obsolete) for a language other than English: worker-facing messages without
    a translation, and entries that are no longer worker-facing messages."""
    wanted = worker_messages() if wanted is None else wanted
    existing = _read(locale)
    ids = {m.id if isinstance(m.id, str) else m.id[0]: m for m in existing if m.id}
    missing = {msgid for msgid in wanted if not _translated(ids.get(msgid))}
    obsolete = set(ids) - set(wanted)
    return missing, obsolete


def glossary_problems(locale: str) -> list[str]:
    """Where `locale`'s catalogue translates one of the project's terms otherwise than its
    glossary says (or the glossary lacks the term)."""
    path = GLOSSARY_DIR / f"{locale}.json"
    if not path.exists():
        return [f"{locale}: no glossary at {path.relative_to(ROOT)}"]
    glossary = json.loads(path.read_text(encoding="utf-8"))
    catalog = _read(locale)
    problems = []
    for term, pattern in TERMS.items():
        stems = [stem.lower() for stem in (glossary.get(term) or {}).get("match") or []]
        if not stems:
            problems.append(f"{locale}: the glossary has no stems ('match') for {term!r}")
            continue
        for message in catalog:
            msgid = message.id if isinstance(message.id, str) else (message.id or ("",))[0]
            if not msgid or not re.search(pattern, msgid, re.IGNORECASE):
                continue
            string = message.string
            forms = list(string) if isinstance(string, tuple | list) else [string]
            for form in (f for f in forms if isinstance(f, str) and f):
                if not any(stem in form.lower() for stem in stems):
                    problems.append(f"{locale}: {term!r} not as {'/'.join(stems)} in {form!r}")
    return problems


def merge(locale: str, wanted: dict[str, str | None]) -> tuple[int, int]:
    """Bring `locale`'s catalogue to exactly the worker messages; (translated, untranslated).

    Written as the translators' tool writes it, so that an unchanged catalogue stays unchanged.
    """
    path = _po_path(locale)
    existing = _read(locale) if path.exists() else Catalog(locale=locale)
    forms = get_plural(locale).num_plurals
    merged = Catalog(
        locale=Locale.parse(locale),
        project="organise",
        charset="utf-8",
        creation_date=FIXED_DATE,
        revision_date=FIXED_DATE,
        fuzzy=False,
    )
    done = 0
    for msgid, plural in wanted.items():
        old = existing.get(msgid if plural is None else (msgid, plural)) or existing.get(msgid)
        if plural is None:
            string: str | tuple[str, ...] = (
                old.string if old is not None and isinstance(old.string, str) else ""
            )
            merged.add(msgid, string=string)
        else:
            old_forms = old.string if old is not None and isinstance(old.string, tuple) else ()
            string = old_forms if len(old_forms) == forms else ("",) * forms
            merged.add((msgid, plural), string=string)
        done += _translated(merged.get(msgid if plural is None else (msgid, plural)))
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    write_po(buffer, merged, sort_output=True, no_location=True, width=100)
    path.write_bytes(buffer.getvalue())
    review = path.parent.parent / "review.json"
    if not review.exists():
        # Until a native speaker has read it, every page in the language says so.
        review.write_text('{"native_speaker_review": null}\n', encoding="utf-8")
    return done, len(wanted) - done


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
    wanted = worker_messages()
    for locale in languages():
        if locale == DEFAULT_LOCALE:
            continue
        done, left = merge(locale, wanted)
        print(f"{locale}: {done} of {done + left} worker-facing messages translated")


def print_worker_messages() -> None:
    """The worker-facing messages as JSON, for translators: [{"id", "plural", "python_format"}]."""
    listed = [
        {
            "id": msgid,
            "plural": plural,
            "python_format": bool(re.search(r"%\(\w+\)[sdfr]|%[sd]", msgid)),
        }
        for msgid, plural in sorted(worker_messages().items())
    ]
    print(json.dumps(listed, ensure_ascii=False, indent=1))


if __name__ == "__main__":
    if sys.argv[1:] == ["--worker-messages"]:
        print_worker_messages()
    else:
        update()
