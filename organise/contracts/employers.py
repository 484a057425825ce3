"""Employer names: one company, one employer, however its name is spelt.

`normalise_name` folds case, compatibility characters and punctuation, and drops trailing
corporate suffixes ("Inc", "LLC", "Corp.", "Enterprise"...), so "Axon" and "Axon Enterprise, Inc."
are one key. `vendor_aliases.json` then merges known variants that normalisation cannot see
("Flock" and "Flock Safety"), splits values that name two companies, and names the canonical
spelling. Merging is deliberately conservative; docs/reports.md lists the rules.

The same file names the large vendors every instance knows from the start (`seed_employers`,
run on every migrate), with the other names each is known by.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from organise.contracts.models import Employer
from organise.db import column_values
from organise.i18n import _

ALIASES_FILE = Path(__file__).with_name("vendor_aliases.json")
UNKNOWN_VENDOR_KEY = "~unknown-vendor"
MAX_NAME_CHARS = 200
_PUNCTUATION = re.compile(r"[^\w\s]+")
_SPACES = re.compile(r"\s+")
_SLUG_JUNK = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class VendorName:
    key: str
    display: str


@dataclass(frozen=True)
class _Rules:
    suffixes: frozenset[str]
    not_vendors: frozenset[str]
    aliases: dict[str, tuple[str, ...]]
    # Canonical name -> the other names it is known by (the seeded vendors).
    seed: dict[str, tuple[str, ...]]


@cache
def _rules() -> _Rules:
    data = json.loads(ALIASES_FILE.read_text(encoding="utf-8"))
    suffixes = frozenset(data["suffixes"])
    aliases = {
        key: (value,) if isinstance(value, str) else tuple(value)
        for key, value in data["aliases"].items()
    }
    seed = {name: tuple(others) for name, others in data["seed"].items()}
    # A seeded vendor's other names are aliases of its canonical name.
    for name, others in seed.items():
        for other in others:
            key = _normalise(other, suffixes)
            if aliases.setdefault(key, (name,)) != (name,):
                raise RuntimeError(f"vendor_aliases.json: {other!r} names two employers")
    return _Rules(
        suffixes=suffixes,
        not_vendors=frozenset(data["not_vendors"]),
        aliases=aliases,
        seed=seed,
    )


def _normalise(name: str, suffixes: frozenset[str]) -> str:
    text = unicodedata.normalize("NFKC", name).casefold().replace("&", " and ")
    text = _SPACES.sub(" ", _PUNCTUATION.sub("", text)).strip()
    words = text.split(" ") if text else []
    while len(words) > 1 and words[-1] in suffixes:
        words.pop()
    return " ".join(words)


def normalise_name(name: str) -> str:
    """The comparison key of a company name ("" if nothing is left)."""
    return _normalise(name, _rules().suffixes)


def _tidy(name: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def canonical(name: str) -> list[VendorName]:
    """The employer(s) one name stands for, after aliases (empty for a non-vendor)."""
    key = normalise_name(name)
    rules = _rules()
    if not key or key in rules.not_vendors:
        return []
    if key in rules.aliases:
        return [VendorName(normalise_name(alias), alias) for alias in rules.aliases[key]]
    return [VendorName(key, _tidy(name)[:MAX_NAME_CHARS])]


def vendor_names(raw: str) -> list[VendorName]:
    """The employers named by an Atlas "Vendor" value (comma-separated), without repeats."""
    found: dict[str, VendorName] = {}
    for part in raw.split(","):
        for vendor in canonical(part):
            found.setdefault(vendor.key, vendor)
    return list(found.values())


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    slug = _SLUG_JUNK.sub("-", ascii_name.lower()).strip("-")[:100]
    return slug or "employer"


def unknown_vendor() -> VendorName:
    return VendorName(UNKNOWN_VENDOR_KEY, _("Unknown vendor"))


class EmployerDirectory:
    """Existing employers by key, creating missing ones with unique slugs (one transaction)."""

    def __init__(self, employers: list[Employer]) -> None:
        self.by_key = {employer.key: employer for employer in employers}
        self.slugs = {employer.slug for employer in employers}
        self.created: list[Employer] = []

    @classmethod
    async def load(cls) -> EmployerDirectory:
        return cls(await Employer.all())

    def get(self, vendor: VendorName) -> Employer:
        employer = self.by_key.get(vendor.key)
        if employer is None:
            employer = Employer(name=vendor.display, key=vendor.key, slug=self._new_slug(vendor))
            self.by_key[vendor.key] = employer
            self.created.append(employer)
        return employer

    def _new_slug(self, vendor: VendorName) -> str:
        base = "unknown-vendor" if vendor.key == UNKNOWN_VENDOR_KEY else slugify(vendor.display)
        slug, number = base, 1
        while slug in self.slugs:
            number += 1
            slug = f"{base}-{number}"
        self.slugs.add(slug)
        return slug

    async def save_created(self) -> int:
        created, self.created = self.created, []
        if created:
            await Employer.bulk_create(created, batch_size=500)
        return len(created)


def seed_vendors() -> list[VendorName]:
    """The large vendors every instance lists from the start, by canonical name."""
    return [vendor for name in _rules().seed for vendor in canonical(name)]


async def seed_employers() -> int:
    """Create the seeded employers that are missing; how many were created.

    Idempotent: an employer is found by its key, however it was created (an Atlas import, a
    published record or an earlier seeding), and kept as it is. Two processes seeding at once
    insert the same rows; the second one's conflicting rows are skipped.
    """
    vendors = seed_vendors()
    # Every command starts here: once they exist (the usual case), one indexed count, without
    # loading every employer (tens of thousands after an import) to find free slugs.
    keys = {vendor.key for vendor in vendors}
    if await Employer.filter(key__in=keys).count() == len(keys):
        return 0
    directory = await EmployerDirectory.load()
    for vendor in vendors:
        directory.get(vendor)
    created, directory.created = directory.created, []
    if created:
        await Employer.bulk_create(created, batch_size=500, ignore_conflicts=True)
    return len(created)


async def suggestions() -> list[str]:
    """Employer names the report form offers as the reporter types: every known employer,
    and the other names of the seeded ones (each matches its employer when sent)."""
    names = await column_values(Employer.exclude(key=UNKNOWN_VENDOR_KEY), "name")
    others = [other for others in _rules().seed.values() for other in others]
    return sorted({str(name) for name in names} | set(others), key=str.casefold)


async def find_employer(name: str) -> Employer | None:
    """The known employer a typed name stands for, if any (first of a split alias)."""
    names = canonical(name)
    if not names:
        return None
    return await Employer.get_or_none(key=names[0].key)
