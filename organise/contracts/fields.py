"""The facts of one contract, as a field table: the one list of what a contract record says.

A worker's report (organise.reports.fields) extends these fields, and a reviewer's draft of a
public record reuses them; the stored names of the two columns that differ from the field
names are in `COLUMNS`. Values are slugs of the shared vocabulary (taxonomy.json), ISO codes,
months written YYYY-MM and public web links.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Mapping
from typing import Any

from organise.contracts import taxonomy
from organise.contracts.links import MAX_URL_CHARS, is_web_url
from organise.fields import Field, FieldProblem
from organise.i18n import Message, _l
from organise.refusal import Refused

MAX_NAME_CHARS = 200
MAX_AGENCY_CHARS = 300
MAX_SUMMARY_CHARS = 4000
MAX_SOURCES = 10
# Room for a slug, a code or a month typed with spaces; anything longer is refused as too long.
MAX_CODE_CHARS = 64
# ASCII digits only (\d would also take Arabic-Indic and other scripts' digits).
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")


def _technologies(slugs: list[str]) -> list[str]:
    known = taxonomy.taxonomy().slugs("technologies")
    for slug in slugs:
        if slug not in known:
            raise FieldProblem(
                _l(
                    "%(slug)s is not a known technology (the list is at /api/v1/taxonomy).",
                    slug=slug,
                ),
                "unknown_technology",
            )
    return slugs


def _links(urls: list[str]) -> list[str]:
    if not all(is_web_url(url) for url in urls):
        raise FieldProblem(
            _l(
                "Each link must be a full web address starting with http:// or https:// "
                "(at most %(n)d characters).",
                n=MAX_URL_CHARS,
            ),
            "invalid_link",
        )
    return urls


def iso_code(
    name: str,
    label: Message,
    known: Callable[[], Collection[str]],
    message: Message,
    description: str,
) -> Field:
    """A field taking an ISO code (country, currency), in either case; stored upper-case."""

    def check(code: str) -> str:
        code = code.upper()
        if code not in known():
            raise FieldProblem(message, f"unknown_{name}")
        return code

    return Field(name, label, max_chars=MAX_CODE_CHARS, normalise=check, description=description)


def vocabulary(
    name: str,
    kind: str,
    label: Message,
    *,
    required: bool = False,
    message: Message | None = None,
    missing_message: Message | None = None,
) -> Field:
    """A field taking one slug of the shared vocabulary (`kind` in taxonomy.json)."""
    return Field(
        name,
        label,
        required=required,
        max_chars=MAX_CODE_CHARS,
        choices=lambda: taxonomy.taxonomy().slugs(kind),
        message=message,
        missing_message=missing_message,
        description=f"A slug from /api/v1/taxonomy ({kind}).",
    )


def _status(choices: Callable[[], Collection[str]], message: Message, description: str) -> Field:
    """How public the contract is: a question, so its messages do not repeat it as a name."""
    return Field(
        "status",
        _l("How public is this contract?"),
        required=True,
        max_chars=MAX_CODE_CHARS,
        choices=choices,
        message=message,
        missing_message=_l("Say how public this contract is."),
        description=description,
    )


# A report may say "known internally"; a published record may not (taxonomy.KNOWN_INTERNALLY).
STATUS = _status(
    lambda: taxonomy.taxonomy().slugs("statuses"),
    _l("Choose one of the answers to how public this contract is."),
    "A slug from /api/v1/taxonomy (statuses).",
)
PUBLISHED_STATUS = _status(
    lambda: {term.slug for term in taxonomy.published_statuses()},
    _l(
        "A published record cannot say that the contract is known internally: that would "
        "point at the people inside. Choose rumoured or public record."
    ),
    "A slug from /api/v1/taxonomy (statuses), except known-internally.",
)


def month(name: str, label: Message) -> Field:
    """A field taking a month written YYYY-MM (1900 to 2100)."""

    def check(raw: str) -> str:
        match = _MONTH.fullmatch(raw)
        year, number = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
        if not (1900 <= year <= 2100 and 1 <= number <= 12):
            raise FieldProblem(
                _l("%(label)s must be a month written as YYYY-MM, such as 2024-03.", label=label),
                "invalid_month",
            )
        return raw

    return Field(
        name, label, max_chars=MAX_CODE_CHARS, normalise=check, description="A month, YYYY-MM."
    )


# The facts of a contract, in the order forms show them, each under one plain name: the label
# on the form is the name its messages use.
CONTRACT_FACTS: tuple[Field, ...] = (
    Field("employer", _l("Employer"), required=True, max_chars=MAX_NAME_CHARS),
    Field("agency", _l("Agency"), max_chars=MAX_AGENCY_CHARS),
    vocabulary("agency_type", "agency_types", _l("Kind of agency")),
    iso_code(
        "country",
        _l("Country"),
        taxonomy.countries,
        _l("Country must be a two-letter ISO code, such as US or DE."),
        "ISO 3166-1 alpha-2.",
    ),
    Field("jurisdiction", _l("City, county, state or region"), max_chars=MAX_AGENCY_CHARS),
    # Required, but said as "choose at least one" (check_facts), so not `required` here.
    Field(
        "technologies",
        _l("Technologies"),
        kind="list",
        max_chars=MAX_CODE_CHARS,
        max_items=len(taxonomy.taxonomy().slugs("technologies")),
        normalise=_technologies,
        description="Slugs from /api/v1/taxonomy (technologies); at least one.",
        schema_extra={"minItems": 1, "nullable": False},
    ),
    Field("product", _l("Product or project name"), max_chars=MAX_NAME_CHARS),
    STATUS,
    vocabulary("value_range", "value_ranges", _l("Approximate value")),
    iso_code(
        "currency",
        _l("Currency"),
        taxonomy.currencies,
        _l("Currency must be a three-letter ISO code, such as USD or EUR."),
        "ISO 4217.",
    ),
    month("period_start", _l("Start month")),
    month("period_end", _l("End month")),
    # Web forms take the links in a textarea, one per line.
    Field(
        "sources",
        _l("Public links"),
        kind="list",
        max_chars=MAX_URL_CHARS,
        max_items=MAX_SOURCES,
        normalise=_links,
        lines=True,
        description="Public web links (http or https).",
    ),
)
FACT_NAMES: tuple[str, ...] = tuple(f.name for f in CONTRACT_FACTS)
# The same facts as a published record may state them (no "known internally").
PUBLISHED_FACTS: tuple[Field, ...] = tuple(
    PUBLISHED_STATUS if f.name == "status" else f for f in CONTRACT_FACTS
)

SUMMARY = Field("summary", _l("Summary"), required=True, max_chars=MAX_SUMMARY_CHARS)

# Where a fact is stored under another name (reports, contract records, stored drafts).
COLUMNS = {"employer": "employer_name", "agency": "agency_name"}


def column(name: str) -> str:
    return COLUMNS.get(name, name)


def check_facts(facts: Mapping[str, Any]) -> None:
    """What one field alone cannot say: at least one technology, a period in order.

    Run by the field tables over the fields that could be read (a field refused on its own is
    missing here), so its findings come together with theirs.
    """
    problems: dict[str, Message] = {}
    code = "invalid_period"
    if "technologies" in facts and not facts["technologies"]:
        problems["technologies"] = _l("Choose at least one technology.")
        code = "missing_field"
    start, end = facts.get("period_start"), facts.get("period_end")
    if start and end and end < start:
        problems["period_end"] = _l("The end month is before the start month.")
    if problems:
        raise Refused(problems, code=code)
