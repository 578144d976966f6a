"""The app with the observability stack left out, composed here from the product's public
pieces: the baseline the observability scenario compares ``create_app`` against.

It is ``slotwise.api.app.create_app`` minus ``install_observability`` /
``start_observability`` (the edge layer without request ids, request metrics or access log;
no SQL timing, no pool sampling): same error handlers, same edge layer otherwise (body
limits, fast path, query scope), same routes in the same order, its own engine and the
process's cache. ``tests/integration/test_bench_apps.py`` fails when
``create_app`` gains a piece this copy does not have.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from slotwise.api.app import DESCRIPTION, edge_options
from slotwise.api.auth import TokenTable
from slotwise.api.docs import install_docs
from slotwise.api.errors import install_error_handlers
from slotwise.api.middleware.edge import EdgeMiddleware
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
    app.state.tokens = TokenTable.from_settings(settings)
    install_error_handlers(app)
    # create_app's install_observability mounts /metrics here, ahead of the API's routes.
    add_routes(app, metrics_routes.router)
    for module in (slots, recruiters, cities, candidates, templates, health):
        add_routes(app, module.router)
    install_docs(app)
    app.add_middleware(EdgeMiddleware, **edge_options(app, settings))
    return app
