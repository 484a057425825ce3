"""The application: each feature's routes, assembled; settings in, a Starlette app out.

Every feature exports the same five things from its `routes` module: `pages` (worker and public
HTML), `api` (JSON under /api/v1), `organiser` (pages behind sign-in), `attention` (its sources
of the account page's list of what waits, organise/attention.py) and `schemas` (its parts of
the OpenAPI document). Nothing else here knows what a feature does, but for one thing: the
accounts feature tells the access rules who a request is signed in as (`SIGN_INS`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from functools import cache
from types import ModuleType
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from tortoise.contrib.starlette import RegisterTortoise

from organise import attention, jobs
from organise.bootstrap import refuse_replaced_keystore
from organise.campaigns import routes as campaigns
from organise.campaigns import ticker as campaign_ticker
from organise.contracts import routes as contracts
from organise.dashboard import routes as dashboard
from organise.db import tortoise_config
from organise.home import routes as home
from organise.keystore import routes as keystore
from organise.organisers import routes as organisers
from organise.organisers.signins import SIGN_INS
from organise.reports import routes as reports
from organise.runtime import open_runtime
from organise.settings import Settings
from organise.surveys import routes as surveys
from organise.web import openapi
from organise.web.access import install_sign_ins, public
from organise.web.errors import EXCEPTION_HANDLERS
from organise.web.hosts import SiteAddressMiddleware
from organise.web.language_prefix import LanguagePrefixMiddleware
from organise.web.resources import resource_dir
from organise.web.security import (
    BodyLimitMiddleware,
    CrossSiteWriteMiddleware,
    SecurityHeadersMiddleware,
)

# Organisers last: its mount at /organisers would otherwise take /organisers/campaigns & co.
FEATURES: tuple[ModuleType, ...] = (
    home,
    campaigns,
    reports,
    contracts,
    dashboard,
    surveys,
    organisers,
    keystore,
)


@public
@openapi.documented(
    openapi.Operation(
        summary="This document.",
        answers={200: ({"type": "object"}, "The OpenAPI document.")},
    )
)
async def openapi_json(request: Request) -> Response:
    return JSONResponse(document())


def routes() -> list[BaseRoute]:
    static = StaticFiles(directory=resource_dir("static"))
    return [
        *(route for feature in FEATURES for route in feature.organiser),
        *(route for feature in FEATURES for route in feature.pages),
        *(route for feature in FEATURES for route in feature.api),
        Route("/api/v1/openapi.json", openapi_json, methods=["GET"], name="api_openapi"),
        Mount("/static", app=public(static), name="static"),  # type: ignore[arg-type]
    ]


@cache
def document() -> dict[str, Any]:
    """The OpenAPI document, generated from the routing table and the features' schemas."""
    schemas = {name: s for feature in FEATURES for name, s in feature.schemas.items()}
    return openapi.generate(routes(), schemas)


def worker_pages() -> list[BaseRoute]:
    """The routes served in every enabled language, under its prefix (`/fr/...`)."""
    return [route for feature in FEATURES for route in feature.pages]


class OrganiseApp(Starlette):
    def __init__(self, *, settings: Settings, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.settings = settings

    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so 500s and 413s carry the headers too,
        # and are written in the language of the address.
        return SecurityHeadersMiddleware(
            LanguagePrefixMiddleware(
                super().build_middleware_stack(), self.settings, worker_pages(), self.routes
            )
        )


def quiet_logging(*, verbose: bool = False) -> None:
    """Nothing that identifies a client is logged: no access log, no SQL with parameters.

    `verbose` (ORGANISE_DEBUG) shows our own debug messages; never SQL, never tracebacks.
    """
    logging.getLogger("uvicorn.access").disabled = True
    ours = logging.getLogger("organise")
    ours.setLevel(logging.DEBUG if verbose else logging.INFO)
    if not ours.handlers:
        # No timestamps: a timed line could be matched against a visit recorded elsewhere.
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        ours.addHandler(handler)
    for name in ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg"):
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(settings: Settings) -> Starlette:
    quiet_logging(verbose=settings.debug)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        runtime = open_runtime(settings)
        app.state.runtime = runtime
        try:
            # Registered globally: requests run in other tasks than the lifespan.
            async with RegisterTortoise(app, config=tortoise_config(settings)):
                await refuse_replaced_keystore(settings, runtime.keystore_created)
                # Campaign deadlines, cooling-off, reveals; surveys' closes and retention.
                campaign_ticker.start_ticker(app, runtime, list(jobs.FEATURE_JOBS.values()))
                try:
                    yield
                finally:
                    await campaign_ticker.stop_ticker(app)
        finally:
            runtime.close()

    app = OrganiseApp(
        settings=settings,
        debug=False,
        routes=routes(),
        middleware=[
            # First: nothing after it sees a Host header other than our own address.
            Middleware(SiteAddressMiddleware, settings=settings),
            Middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes),
            Middleware(CrossSiteWriteMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    install_sign_ins(app, SIGN_INS)
    attention.install(app, [source for feature in FEATURES for source in feature.attention])
    return app


def create_app_from_environ() -> Starlette:
    """Entry point for uvicorn's factory mode (`organise serve` with several workers)."""
    return create_app(Settings.from_environ())
