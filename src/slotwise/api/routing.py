"""Routes registered flat on the application's router, not through ``include_router``.

FastAPI (0.16x) keeps an included router as a lazy ``_IncludedRouter`` branch: every request
is matched against every branch and then matched again inside the selected one, which cost
more per request than all of our middleware together. Our routers carry nothing an include
would add (no prefix or dependencies at include time: each ``APIRoute`` already holds its full
path, tags and responses), so their routes are appended to the app's own route list, exactly
as ``@app.get`` would register them.
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.routing import APIRoute


def add_routes(app: FastAPI, router: APIRouter) -> None:
    """Register ``router``'s routes directly on ``app`` (see the module docstring)."""
    if router.dependencies or router.on_startup or router.on_shutdown:
        app.include_router(router)  # what the flat form cannot express: the general way
        return
    for route in router.routes:
        if not isinstance(route, APIRoute):
            raise TypeError(f"only APIRoute can be added flat, not {type(route).__name__}")
        app.router.routes.append(route)
