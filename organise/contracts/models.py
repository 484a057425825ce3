"""The public contract database: employers, published contract records and their sources.

Everything here is public by design. A row exists only once a record is published (by
reviewers, or imported from a public source such as the Atlas of Surveillance).
"""

from __future__ import annotations

import uuid

from tortoise import fields
from tortoise.models import Model


class Origin:
    ATLAS = "atlas"
    REPORTS = "reports"


class Employer(Model):
    """A company that sells to law enforcement. `key` is the normalised name (see employers.py)."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    name = fields.CharField(max_length=200)
    slug = fields.CharField(max_length=120, unique=True)
    key = fields.CharField(max_length=200, unique=True)

    class Meta:
        table = "contract_employer"
        ordering = ("name",)


class Contract(Model):
    """One published contract record: employer(s) -> agency -> technologies."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    summary = fields.TextField()
    status = fields.CharField(max_length=32)
    agency_name = fields.CharField(max_length=300)
    agency_type = fields.CharField(max_length=48)
    # ISO 3166-1 alpha-2, or "" when unknown.
    country = fields.CharField(max_length=2, db_index=True)
    jurisdiction = fields.CharField(max_length=300, default="")
    product = fields.CharField(max_length=200, default="")
    value_range = fields.CharField(max_length=32, default="")
    currency = fields.CharField(max_length=3, default="")
    period_start = fields.CharField(max_length=7, default="")  # YYYY-MM
    period_end = fields.CharField(max_length=7, default="")
    origin = fields.CharField(max_length=16)
    # The Atlas of Surveillance identifier (AOSNUMBER): a re-import updates, never duplicates.
    atlas_id = fields.CharField(max_length=32, unique=True, null=True)
    # The Atlas's own technology label, kept for provenance and counting against the source.
    atlas_technology = fields.CharField(max_length=100, default="")
    # Worker reports behind the record; shown with small-cell suppression only.
    report_count = fields.IntField(default=0)
    published_week = fields.DateField()

    employer_links: fields.ReverseRelation[ContractEmployer]
    technology_links: fields.ReverseRelation[ContractTechnology]
    sources: fields.ReverseRelation[ContractSource]

    class Meta:
        table = "contract"


class ContractEmployer(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "contracts.Contract", related_name="employer_links", on_delete=fields.CASCADE
    )
    employer: fields.ForeignKeyRelation[Employer] = fields.ForeignKeyField(
        "contracts.Employer", related_name="contract_links", on_delete=fields.CASCADE
    )

    class Meta:
        table = "contract_employer_link"
        unique_together = (("contract", "employer"),)


class ContractTechnology(Model):
    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "contracts.Contract", related_name="technology_links", on_delete=fields.CASCADE
    )
    technology = fields.CharField(max_length=48, db_index=True)  # a taxonomy slug

    class Meta:
        table = "contract_technology"
        unique_together = (("contract", "technology"),)


class ContractSource(Model):
    """A public source: a link, who published it, and when (as precise as known)."""

    id = fields.UUIDField(primary_key=True, default=uuid.uuid4)
    contract: fields.ForeignKeyRelation[Contract] = fields.ForeignKeyField(
        "contracts.Contract", related_name="sources", on_delete=fields.CASCADE
    )
    position = fields.SmallIntField()
    url = fields.CharField(max_length=2048)
    title = fields.CharField(max_length=300, default="")
    # "YYYY-MM-DD", "YYYY-MM", "YYYY" or "" (unknown).
    date = fields.CharField(max_length=10, default="")
    snapshot_url = fields.CharField(max_length=2048, default="")

    class Meta:
        table = "contract_source"
        unique_together = (("contract", "position"),)
        ordering = ("position",)
