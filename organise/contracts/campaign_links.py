"""Links from the contract database to campaigns about the same employer or contract.

The campaigns feature is optional here: its model is looked up in the ORM registry, not
imported, and its public page by route name, so the database works without it. A campaign is
"about" a contract when its contract field mentions the contract's id (for example its address
in this database) or when it names one of the contract's employers (after the same name
normalisation as employers).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from starlette.requests import Request
from starlette.routing import NoMatchFound
from tortoise import Tortoise

from organise.contracts.employers import canonical
from organise.contracts.models import Employer
from organise.i18n import written
from organise.web.addresses import absolute_url

CAMPAIGN_APP = "campaigns"
CAMPAIGN_MODEL = "Campaign"
CAMPAIGN_ROUTE = "campaigns:campaign"


@dataclass(frozen=True)
class CampaignLink:
    title: str
    url: str


async def campaigns_about(
    request: Request, employers: list[Employer], contract_id: uuid.UUID | None = None
) -> list[CampaignLink]:
    apps = Tortoise.apps
    if apps is None or CAMPAIGN_APP not in apps or CAMPAIGN_MODEL not in apps[CAMPAIGN_APP]:
        return []
    model = apps[CAMPAIGN_APP][CAMPAIGN_MODEL]
    keys = {employer.key for employer in employers}
    links = []
    for row in (
        await model.all()
        .order_by("title")
        .values("slug", "title", "employer", "contract", "translations")
    ):
        named = {vendor.key for vendor in canonical(str(row.get("employer") or ""))}
        mentions = contract_id is not None and str(contract_id) in str(row.get("contract") or "")
        if not (mentions or named & keys):
            continue
        try:
            url = absolute_url(request, CAMPAIGN_ROUTE, slug=row["slug"])
        except NoMatchFound:
            return []
        # The title in the reader's language when the campaign has it.
        shown = written.shown({"title": str(row["title"])}, row.get("translations"))
        links.append(CampaignLink(title=shown.texts["title"], url=url))
    return links
