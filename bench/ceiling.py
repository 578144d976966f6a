"""The ceiling for scenario 5: a FastAPI app that answers one constant JSON document.

Not a production route: it shows what one uvicorn worker can do with no database, no cache
and no middleware, so the cached endpoints can be read as a fraction of it. Run with
``uvicorn bench.ceiling:app``.
"""

from __future__ import annotations

from fastapi import FastAPI

PAYLOAD = {
    "id": 1,
    "name": "Anna Ivanova #1",
    "telegram_chat_id": 100000,
    "timezone": "Europe/Moscow",
    "active": True,
    "meeting_url": "https://meet.example.com/1",
    "city_ids": [1, 3],
}

# FastAPI's native OpenTelemetry bridge off, as in the product's app (``api.app``
# ``NATIVE_TELEMETRY_OFF``; not imported, so this process loads nothing of ours): the ceiling is
# a FastAPI route configured like ours, so the cached GETs are not flattered by a per-request
# check only the ceiling would pay.
app = FastAPI(
    openapi_url=None,
    docs_url=None,
    redoc_url=None,
    telemetry={"tracing": False, "metrics": False, "logs": False},
)


@app.get("/api/constant")
async def constant() -> dict[str, object]:
    return PAYLOAD
