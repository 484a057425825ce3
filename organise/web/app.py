"""The application factory: settings in, a configured Starlette app out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from datetime import timedelta

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp
from tortoise.contrib.starlette import RegisterTortoise

from crypto import atrest, codes
from crypto.keystore import Keystore
from organise.bootstrap import refuse_replaced_keystore
from organise.campaigns import routes as campaign_routes
from organise.campaigns import ticker as campaign_ticker
from organise.contracts import api as contract_api
from organise.contracts import views as contract_views
from organise.dashboard import api as dashboard_api
from organise.dashboard import views as dashboard_views
from organise.db import tortoise_config
from organise.home import views as home_views
from organise.instance import load_secret_key, prepare_instance
from organise.organisers import views as organiser_views
from organise.organisers.sessions import SessionPolicy
from organise.reports import api as report_api
from organise.reports import review_views
from organise.reports import views as report_views
from organise.settings import Settings
from organise.web import openapi
from organise.web.access import public
from organise.web.errors import EXCEPTION_HANDLERS
from organise.web.resources import resource_dir
from organise.web.security import (
    BodyLimitMiddleware,
    CrossSiteWriteMiddleware,
    SecurityHeadersMiddleware,
)
from organise.web.templating import make_templates


class OrganiseApp(Starlette):
    def build_middleware_stack(self) -> ASGIApp:
        # Outside Starlette's own error middleware, so 500s and 413s carry the headers too.
        return SecurityHeadersMiddleware(super().build_middleware_stack())


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
    for name in ("tortoise", "tortoise.db_client", "aiosqlite", "asyncpg", "multipart"):
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(settings: Settings) -> Starlette:
    quiet_logging(verbose=settings.debug)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        keystore_created = prepare_instance(settings)
        keystore = Keystore.open(settings.keystore_path)
        app.state.keystore = keystore
        app.state.secret_key = load_secret_key(settings)
        app.state.field_key = keystore.get_or_create("field/organiser-totp", atrest.new_field_key)
        # Keyed hashes of invite codes and receipts; a database copy alone cannot test guesses.
        app.state.code_pepper = keystore.get_or_create("pepper/codes", codes.new_pepper)
        try:
            # Registered globally: requests run in other tasks than the lifespan.
            async with RegisterTortoise(app, config=tortoise_config(settings)):
                await refuse_replaced_keystore(settings, keystore_created)
                campaign_ticker.start_ticker(app)  # campaign deadlines, cooling-off, reveals
                try:
                    yield
                finally:
                    await campaign_ticker.stop_ticker(app)
        finally:
            keystore.close()

    static = StaticFiles(directory=resource_dir("static"))
    app = OrganiseApp(
        debug=False,
        routes=[
            *home_views.routes,
            # Before /organisers, whose mount would otherwise take these paths.
            Mount("/organisers/reports", routes=review_views.routes, name="review"),
            *campaign_routes.mounts,  # /campaigns, /pledges, /organisers/campaigns, /api/v1/...
            Mount("/organisers/dashboard", routes=dashboard_views.routes, name="dashboard"),
            Mount("/organisers", routes=organiser_views.routes, name="organisers"),
            # Each feature mounts its pages (and its /api/v1 twins) here.
            Mount("/reports", routes=report_views.routes, name="reports"),
            Mount("/contracts", routes=contract_views.routes, name="contracts"),
            *report_api.routes,  # /api/v1/reports, /api/v1/reports/status, .../messages
            *contract_api.routes,  # /api/v1/contracts, /api/v1/taxonomy
            *dashboard_api.routes,  # /api/v1/aggregates/reports, /api/v1/aggregates/contracts
            *openapi.routes,  # /api/v1/openapi.json
            Mount("/static", app=public(static), name="static"),  # type: ignore[arg-type]
        ],
        middleware=[
            Middleware(BodyLimitMiddleware, max_body_bytes=settings.max_body_bytes),
            Middleware(CrossSiteWriteMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.templates = make_templates()
    app.state.session_policy = SessionPolicy(
        idle=timedelta(minutes=settings.session_idle_minutes),
        absolute=timedelta(hours=settings.session_absolute_hours),
    )
    return app


def create_app_from_environ() -> Starlette:
    """Entry point for uvicorn's factory mode (`organise serve` with several workers)."""
    return create_app(Settings.from_environ())
