"""Checking what a reporter (or a reviewer's draft) sends: types, lengths, slugs, links.

Each check raises `FieldRefused` (a RequestRefused: a readable 4xx, JSON under /api/) before
anything is stored. Values may come from a web form (text) or from JSON (any type).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from organise.contracts import taxonomy
from organise.contracts.links import MAX_URL_CHARS, is_web_url
from organise.i18n import _
from organise.web.errors import RequestRefused

MAX_NAME_CHARS = 200
MAX_AGENCY_CHARS = 300
MAX_DETAILS_CHARS = 8000
MAX_MESSAGE_CHARS = 4000
MAX_SUMMARY_CHARS = 4000
MAX_SOURCES = 10
_PLAIN_NAME = re.compile(r"[A-Za-z0-9_]{1,40}")
# ASCII digits only (\d would also take Arabic-Indic and other scripts' digits).
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")
# C0 controls other than tab, newline and carriage return; DEL; lone surrogates (not UTF-8).
_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


class FieldRefused(RequestRefused):
    def __init__(self, field: str, message: str, code: str, status: int = 422) -> None:
        super().__init__(status, message, code)
        self.field = field


def text(value: object, field: str, label: str, *, max_chars: int, required: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise FieldRefused(field, _("%(label)s must be text.") % {"label": label}, "invalid_field")
    if _FORBIDDEN.search(value):
        raise FieldRefused(
            field,
            _("%(label)s contains characters that are not valid text.") % {"label": label},
            "invalid_text",
            400,
        )
    value = value.strip()
    if required and not value:
        raise FieldRefused(field, _("%(label)s is required.") % {"label": label}, "missing_field")
    if len(value) > max_chars:
        raise FieldRefused(
            field,
            _("%(label)s can be at most %(n)d characters; this has %(m)d.")
            % {"label": label, "n": max_chars, "m": len(value)},
            "too_long",
        )
    return value


def choice(value: object, kind: str, field: str, label: str, *, required: bool = False) -> str:
    slug = text(value, field, label, max_chars=64, required=required)
    if slug and slug not in taxonomy.taxonomy().slugs(kind):
        raise FieldRefused(
            field,
            _("%(label)s: %(slug)s is not one of the accepted values (see /api/v1/taxonomy).")
            % {"label": label, "slug": slug},
            f"unknown_{field}",
        )
    return slug


def text_list(value: object, field: str, label: str, *, max_items: int) -> list[str]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise FieldRefused(
            field, _("%(label)s must be a list.") % {"label": label}, "invalid_field"
        )
    if len(value) > max_items:
        raise FieldRefused(
            field,
            _("%(label)s can have at most %(n)d entries.") % {"label": label, "n": max_items},
            "too_many",
        )
    return [text(item, field, label, max_chars=MAX_URL_CHARS) for item in value]


def technologies(value: object) -> list[str]:
    label = _("Technologies")
    known = taxonomy.taxonomy().slugs("technologies")
    slugs = [s for s in text_list(value, "technologies", label, max_items=len(known)) if s]
    if not slugs:
        raise FieldRefused("technologies", _("Choose at least one technology."), "missing_field")
    for slug in slugs:
        if slug not in known:
            raise FieldRefused(
                "technologies",
                _("%(slug)s is not a known technology (the list is at /api/v1/taxonomy).")
                % {"slug": slug},
                "unknown_technology",
            )
    return list(dict.fromkeys(slugs))


def links(value: object) -> list[str]:
    urls = [u for u in text_list(value, "sources", _("Links"), max_items=MAX_SOURCES) if u]
    for url in urls:
        if not is_web_url(url):
            raise FieldRefused(
                "sources",
                _(
                    "Each link must be a full web address starting with http:// or https:// "
                    "(at most %(n)d characters)."
                )
                % {"n": MAX_URL_CHARS},
                "invalid_link",
            )
    return list(dict.fromkeys(urls))


def country(value: object) -> str:
    code = text(value, "country", _("Country"), max_chars=64).upper()
    if code and code not in taxonomy.countries():
        raise FieldRefused(
            "country",
            _("Country must be a two-letter ISO code, such as US or DE."),
            "unknown_country",
        )
    return code


def currency(value: object) -> str:
    code = text(value, "currency", _("Currency"), max_chars=64).upper()
    if code and code not in taxonomy.currencies():
        raise FieldRefused(
            "currency",
            _("Currency must be a three-letter ISO code, such as USD or EUR."),
            "unknown_currency",
        )
    return code


def month(value: object, field: str, label: str) -> str:
    raw = text(value, field, label, max_chars=64)
    if not raw:
        return ""
    match = _MONTH.fullmatch(raw)
    if not match or not (1900 <= int(match.group(1)) <= 2100 and 1 <= int(match.group(2)) <= 12):
        raise FieldRefused(
            field,
            _("%(label)s must be a month written as YYYY-MM, such as 2024-03.") % {"label": label},
            "invalid_month",
        )
    return raw


@dataclass(frozen=True)
class ContractFacts:
    """What a report (or a reviewer's draft record) says about one contract."""

    employer_name: str
    agency_name: str
    agency_type: str
    country: str
    jurisdiction: str
    technologies: list[str]
    product: str
    status: str
    value_range: str
    currency: str
    period_start: str
    period_end: str
    sources: list[str]


def contract_facts(raw: Mapping[str, object]) -> ContractFacts:
    period_start = month(raw.get("period_start"), "period_start", _("Start month"))
    period_end = month(raw.get("period_end"), "period_end", _("End month"))
    if period_start and period_end and period_end < period_start:
        raise FieldRefused(
            "period_end", _("The end month is before the start month."), "invalid_period"
        )
    return ContractFacts(
        employer_name=text(
            raw.get("employer"), "employer", _("Employer"), max_chars=MAX_NAME_CHARS, required=True
        ),
        agency_name=text(raw.get("agency"), "agency", _("Agency"), max_chars=MAX_AGENCY_CHARS),
        agency_type=choice(raw.get("agency_type"), "agency_types", "agency_type", _("Agency type")),
        country=country(raw.get("country")),
        jurisdiction=text(
            raw.get("jurisdiction"), "jurisdiction", _("Jurisdiction"), max_chars=MAX_AGENCY_CHARS
        ),
        technologies=technologies(raw.get("technologies")),
        product=text(
            raw.get("product"), "product", _("Product or project"), max_chars=MAX_NAME_CHARS
        ),
        status=choice(raw.get("status"), "statuses", "status", _("Status"), required=True),
        value_range=choice(
            raw.get("value_range"), "value_ranges", "value_range", _("Approximate value")
        ),
        currency=currency(raw.get("currency")),
        period_start=period_start,
        period_end=period_end,
        sources=links(raw.get("sources")),
    )


@dataclass(frozen=True)
class ReportInput:
    facts: ContractFacts
    relation: str
    details: str


REPORT_FIELDS = frozenset(
    {
        "employer",
        "agency",
        "agency_type",
        "country",
        "jurisdiction",
        "technologies",
        "product",
        "status",
        "value_range",
        "currency",
        "period_start",
        "period_end",
        "sources",
        "relation",
        "details",
    }
)


def report_input(raw: Mapping[str, object]) -> ReportInput:
    unknown = sorted(set(raw) - REPORT_FIELDS)
    if unknown:
        # Echo the name only when it is plain, so the error itself is always valid text.
        name = unknown[0] if _PLAIN_NAME.fullmatch(unknown[0]) else "?"
        raise FieldRefused("", _("Unknown field %(field)s.") % {"field": name}, "unknown_field")
    return ReportInput(
        facts=contract_facts(raw),
        relation=choice(raw.get("relation"), "relations", "relation", _("How you know")),
        details=text(raw.get("details"), "details", _("Details"), max_chars=MAX_DETAILS_CHARS),
    )


def message_text(value: object) -> str:
    return text(value, "message", _("Message"), max_chars=MAX_MESSAGE_CHARS, required=True)
