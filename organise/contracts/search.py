"""Finding published contracts: the filters shared by the pages, the API and the CSV export."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from tortoise.queryset import QuerySet

from organise.contracts import taxonomy
from organise.contracts.models import Contract, Employer
from organise.db import column_values
from organise.i18n import _
from organise.numbers import whole_number
from organise.refusal import Refused

PAGE_SIZE = 50
MAX_PAGE = 100_000
MAX_FILTER_CHARS = 200
MAX_SLUG_CHARS = 120  # Employer.slug's column


@dataclass(frozen=True)
class ContractQuery:
    employer: str = ""  # an employer's slug
    agency: str = ""  # words in the agency's name (case-insensitive)
    technology: str = ""  # a taxonomy slug
    country: str = ""  # ISO 3166-1 alpha-2
    page: int = 1

    def params(self, **changes: Any) -> dict[str, str]:
        """The non-empty filters as query parameters (for links to other pages)."""
        query = replace(self, **changes)
        values = {
            "employer": query.employer,
            "agency": query.agency,
            "technology": query.technology,
            "country": query.country,
            "page": str(query.page) if query.page > 1 else "",
        }
        return {name: value for name, value in values.items() if value}


def filter_text(params: Mapping[str, str], name: str) -> str:
    """One query-string filter, stripped; a 400 if it is too long or holds a NUL."""
    value = str(params.get(name, "")).strip()
    if len(value) > MAX_FILTER_CHARS or "\x00" in value:
        raise Refused(
            _("The %(field)s filter is too long.") % {"field": name},
            status=400,
            code="invalid_filter",
        )
    return value


def technology_filter(params: Mapping[str, str]) -> str:
    """The `technology` filter: empty, or a slug of the taxonomy (else a 400)."""
    technology = filter_text(params, "technology")
    if technology and technology not in taxonomy.taxonomy().slugs("technologies"):
        raise Refused(
            _("Unknown technology %(slug)s. The list is at /api/v1/taxonomy.")
            % {"slug": technology},
            status=400,
            code="unknown_technology",
        )
    return technology


def country_filter(params: Mapping[str, str]) -> str:
    """The `country` filter: empty, or a known two-letter code, upper-cased (else a 400)."""
    country = filter_text(params, "country").upper()
    if country and country not in taxonomy.countries():
        raise Refused(
            _("Country must be a two-letter ISO code, such as US or DE."),
            status=400,
            code="unknown_country",
        )
    return country


def parse_query(params: Mapping[str, str]) -> ContractQuery:
    """Filters from query parameters; a clear 400 for an unknown technology, country or page."""
    technology = technology_filter(params)
    country = country_filter(params)
    raw_page = filter_text(params, "page") or "1"
    page = whole_number(raw_page)
    if page is None or not 1 <= page <= MAX_PAGE:
        raise Refused(
            _("Page must be a whole number from 1 to %(n)d.") % {"n": MAX_PAGE},
            status=400,
            code="invalid_page",
        )
    employer = filter_text(params, "employer").lower()
    if len(employer) > MAX_SLUG_CHARS:
        raise Refused(
            _("The employer filter is an employer's address name, at most %(n)d characters.")
            % {"n": MAX_SLUG_CHARS},
            status=400,
            code="invalid_filter",
        )
    return ContractQuery(
        employer=employer,
        agency=filter_text(params, "agency"),
        technology=technology,
        country=country,
        page=page,
    )


def matching(query: ContractQuery) -> QuerySet[Contract]:
    found = Contract.all()
    if query.employer:
        found = found.filter(employer_links__employer__slug=query.employer)
    if query.technology:
        found = found.filter(technology_links__technology=query.technology)
    if query.country:
        found = found.filter(country=query.country)
    if query.agency:
        found = found.filter(agency_name__icontains=query.agency)
    return found


def with_details(found: QuerySet[Contract]) -> QuerySet[Contract]:
    return found.prefetch_related("employer_links__employer", "technology_links", "sources")


async def find(query: ContractQuery) -> tuple[list[Contract], int]:
    """One page of matching contracts (with employers, technologies, sources) and the total."""
    total = await matching(query).count()
    page = await with_details(
        matching(query)
        .order_by("agency_name", "id")
        .offset((query.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return list(page), total


def has_next(query: ContractQuery, total: int) -> bool:
    return query.page * PAGE_SIZE < total


async def employers_with_contracts() -> list[Employer]:
    return list(await Employer.filter(contract_links__id__isnull=False).distinct().order_by("name"))


async def countries_with_contracts() -> list[str]:
    codes = await column_values(Contract.exclude(country="").distinct(), "country")
    return sorted({str(code) for code in codes}, key=taxonomy.country_name)


# -- one contract as data (API and CSV) --------------------------------------------------------


def employers_of(contract: Contract) -> list[Employer]:
    return sorted((link.employer for link in contract.employer_links), key=lambda e: e.name)


def technologies_of(contract: Contract) -> list[str]:
    order = {t.slug: i for i, t in enumerate(taxonomy.taxonomy().terms["technologies"])}
    # A slug the vocabulary no longer lists goes last rather than failing the page.
    return sorted(
        (link.technology for link in contract.technology_links),
        key=lambda slug: order.get(slug, len(order)),
    )


def sources_of(contract: Contract) -> list[Any]:
    return sorted(contract.sources, key=lambda source: source.position)


def as_json(contract: Contract, *, base_url: str) -> dict[str, Any]:
    """The published record: the reviewed facts and their public sources.

    Where the record came from (`origin`, and how many reports are behind it) stays internal:
    a record built from workers' reports must not say so, nor how many there were.
    """
    return {
        "id": str(contract.id),
        "url": f"{base_url}/contracts/{contract.id}",
        "employers": [
            {"name": e.name, "slug": e.slug, "url": f"{base_url}/contracts/employers/{e.slug}"}
            for e in employers_of(contract)
        ],
        "agency": {
            "name": contract.agency_name,
            "type": contract.agency_type,
            "country": contract.country,
            "jurisdiction": contract.jurisdiction,
        },
        "technologies": technologies_of(contract),
        "product": contract.product,
        "status": contract.status,
        "value_range": contract.value_range,
        "currency": contract.currency,
        "period_start": contract.period_start,
        "period_end": contract.period_end,
        "summary": contract.summary,
        "sources": [
            {
                "url": source.url,
                "title": source.title,
                "date": source.date,
                "snapshot_url": source.snapshot_url,
            }
            for source in sources_of(contract)
        ],
        "atlas_id": contract.atlas_id,
        "atlas_technology": contract.atlas_technology,
        "published_week": contract.published_week.isoformat(),
    }
