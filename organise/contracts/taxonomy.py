"""The shared vocabulary (technologies, agency types, statuses, relations, value ranges).

The vocabulary is data, in `taxonomy.json` beside this module: slugs are stored and accepted
by the API, labels are English source text extracted into the translation catalogue and
translated when shown (`label(kind, slug)`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel import Locale
from babel.numbers import list_currencies

from organise.i18n import DEFAULT_LOCALE, _

TAXONOMY_FILE = Path(__file__).with_name("taxonomy.json")
KINDS = ("technologies", "agency_types", "statuses", "relations", "value_ranges")
# CLDR region codes that are not countries (European Union, Eurozone, United Nations, unknown,
# outlying Oceania, pseudo-locales).
_NOT_COUNTRIES = frozenset({"EU", "EZ", "UN", "ZZ", "QO", "XA", "XB"})


@dataclass(frozen=True)
class Term:
    slug: str
    label: str  # English source text; translate with `_()` when shown
    group: str = ""


@dataclass(frozen=True)
class Taxonomy:
    groups: tuple[Term, ...]
    terms: dict[str, tuple[Term, ...]]

    def slugs(self, kind: str) -> frozenset[str]:
        return frozenset(term.slug for term in self.terms[kind])

    def term(self, kind: str, slug: str) -> Term | None:
        return next((term for term in self.terms[kind] if term.slug == slug), None)


@cache
def taxonomy() -> Taxonomy:
    data = json.loads(TAXONOMY_FILE.read_text(encoding="utf-8"))
    groups = tuple(Term(item["slug"], item["label"]) for item in data["technology_groups"])
    terms = {
        kind: tuple(Term(item["slug"], item["label"], item.get("group", "")) for item in data[kind])
        for kind in KINDS
    }
    group_slugs = {group.slug for group in groups}
    for kind, items in terms.items():
        slugs = [term.slug for term in items]
        if len(set(slugs)) != len(slugs):
            raise RuntimeError(f"taxonomy.json: duplicate slug in {kind}")
    for term in terms["technologies"]:
        if term.group not in group_slugs:
            raise RuntimeError(f"taxonomy.json: technology {term.slug} has an unknown group")
    return Taxonomy(groups=groups, terms=terms)


# How public a contract is, as a worker may report it but a published record never says it:
# "known internally" would tell every reader that someone inside told us. A record says
# "rumoured" instead, until a public source makes it a public record.
KNOWN_INTERNALLY = "known-internally"
RUMOURED = "rumoured"


def published_statuses() -> tuple[Term, ...]:
    """The statuses a published contract record may take."""
    return tuple(term for term in taxonomy().terms["statuses"] if term.slug != KNOWN_INTERNALLY)


def published_status(slug: str) -> str:
    """The status a record is published with: "known internally" becomes "rumoured"."""
    return RUMOURED if slug == KNOWN_INTERNALLY else slug


def label(kind: str, slug: str) -> str:
    """The translated label of a slug ("" for an empty slug, the slug itself if unknown)."""
    if not slug:
        return ""
    term = taxonomy().term(kind, slug)
    return _(term.label) if term else slug


def technology_groups() -> list[tuple[Term, list[Term]]]:
    """Technologies grouped for forms and filters, in the file's order."""
    tax = taxonomy()
    return [
        (group, [term for term in tax.terms["technologies"] if term.group == group.slug])
        for group in tax.groups
    ]


def entries_of(terms: tuple[Term, ...]) -> list[dict[str, str]]:
    return [{"slug": term.slug, "label": _(term.label)} for term in terms]


def as_json() -> dict[str, list[dict[str, str]]]:
    """The public shape served at /api/v1/taxonomy (labels translated)."""
    tax = taxonomy()
    technologies = [
        {"slug": term.slug, "label": _(term.label), "group": term.group}
        for term in tax.terms["technologies"]
    ]
    return {
        "technologies": technologies,
        "technology_groups": entries_of(tax.groups),
        "agency_types": entries_of(tax.terms["agency_types"]),
        "statuses": entries_of(tax.terms["statuses"]),
        "relations": entries_of(tax.terms["relations"]),
        "value_ranges": entries_of(tax.terms["value_ranges"]),
    }


# -- countries and currencies (from the CLDR data that ships with Babel) ---------------------


@cache
def countries() -> dict[str, str]:
    """ISO 3166-1 alpha-2 code -> English name, for the two-letter codes CLDR knows."""
    names = Locale.parse(DEFAULT_LOCALE).territories
    return dict(
        sorted(
            (
                (code, name)
                for code, name in names.items()
                if len(code) == 2 and code.isalpha() and code not in _NOT_COUNTRIES
            ),
            key=lambda item: item[1],
        )
    )


def country_name(code: str) -> str:
    return countries().get(code, code)


@cache
def currencies() -> frozenset[str]:
    return frozenset(code for code in list_currencies() if len(code) == 3)
