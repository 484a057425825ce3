"""Where the campaign pages and API live. The app mounts `mounts` (see organise/web/app.py).

The organiser pages come first: `/organisers/campaigns` must be matched before the
organisers' own mount at `/organisers`.
"""

from __future__ import annotations

from starlette.routing import Mount

from organise.campaigns import api, organiser_views, views

mounts = [
    Mount("/organisers/campaigns", routes=organiser_views.routes, name="campaign_organisers"),
    Mount("/campaigns", routes=views.routes, name="campaigns"),
    Mount("/pledges", routes=views.pledge_routes, name="pledges"),
    Mount("/api/v1/campaigns", routes=api.campaign_routes, name="api_campaigns"),
    Mount("/api/v1/pledges", routes=api.pledge_routes, name="api_pledges"),
]
