"""The app with the observability stack left out, composed here from the product's public
pieces: the baseline the observability scenario compares ``create_app`` against.

It is ``slotwise.api.app.create_app`` minus ``install_observability`` /
``start_observability`` (no request-id or request-metrics middleware, no SQL timing, no pool
sampling): same error handlers, same query-scope middleware, same routes in the same order,
its own engine and the process's cache. ``tests/integration/test_bench_apps.py`` fails when
``create_app`` gains a piece this copy does not have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from slotwise.api.app import BULK_ROUTES, DESCRIPTION
from slotwise.api.auth import TokenTable, has_known_token
from slotwise.api.docs import install_docs
from slotwise.api.errors import install_error_handlers
from slotwise.api.middleware.body_limit import BodyLimitMiddleware
from slotwise.api.middleware.queries import QueryScopeMiddleware
from slotwise.api.routes import candidates, cities, health, recruiters, slots, templates
from slotwise.api.routes import metrics as metrics_routes
from slotwise.api.routing import add_routes
from slotwise.cache.client import disconnect_cache, open_app_cache
from slotwise.persistence import db
from slotwise.settings import Settings


def app_without_observability(settings: Settings) -> FastAPI:
    """A new application on ``settings`` (its own engine), observability stack left out."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = db.build_engine(settings)
        app.state.engine = engine
        app.state.session_factory = db.build_session_factory(engine)
        own_cache = await open_app_cache(settings)
        try:
            yield
        finally:
            if own_cache:
                await disconnect_cache()
            await engine.dispose()

    app = FastAPI(
        title="slotwise",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    tokens = app.state.tokens = TokenTable.from_settings(settings)
    install_error_handlers(app)
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.slotwise_max_body_bytes,
        routes={route: settings.slotwise_max_bulk_body_bytes for route in BULK_ROUTES},
        authenticated=lambda scope: has_known_token(tokens, scope),
    )
    # create_app's install_observability mounts /metrics here, ahead of the API's routes.
    add_routes(app, metrics_routes.router)
    app.add_middleware(QueryScopeMiddleware)
    for module in (slots, recruiters, cities, candidates, templates, health):
        add_routes(app, module.router)
    install_docs(app)
    return app
