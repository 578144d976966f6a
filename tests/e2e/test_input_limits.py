"""Limits at the HTTP edge, through the ASGI app: request bodies (declared and streamed), the
bulk cap, and the accepted datetime range (year-9999 / year-1 inputs are 422s, not 500/503)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from slotwise.api.app import create_app
from slotwise.api.schemas import MAX_BULK_SLOTS
from slotwise.settings import get_settings
from tests.e2e.conftest import ADMIN, BOT, Api

KIB = 1024
SMALL_LIMIT = 64 * KIB
BULK_LIMIT = 1024 * KIB


def padded(body: Any, size: int) -> bytes:
    """``body`` as JSON, padded with whitespace (still valid JSON) to ``size`` bytes."""
    data = json.dumps(body).encode()
    return data + b" " * (size - len(data))


class Chunks:
    """A streamed (chunked) request body that counts how much of it was pulled."""

    def __init__(self, total: int, chunk: int = 16 * KIB) -> None:
        self.total = total
        self.chunk = chunk
        self.sent = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.sent < self.total:
            self.sent += self.chunk
            yield b" " * self.chunk


async def test_declared_oversize_body_is_413_and_never_read(client: httpx.AsyncClient) -> None:
    body = padded({"name": "X", "timezone": "UTC"}, SMALL_LIMIT + 1)
    response = await client.post(
        "/api/cities", content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    error = response.json()["error"]
    assert error["code"] == "payload_too_large"
    assert str(SMALL_LIMIT) in error["message"]


async def test_body_at_the_limit_is_parsed(client: httpx.AsyncClient, api: Api) -> None:
    body = padded({"name": "X", "timezone": "UTC"}, SMALL_LIMIT)
    response = await client.post(
        "/api/cities", content=body, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 201, response.text


async def test_streamed_body_stops_at_the_limit(client: httpx.AsyncClient) -> None:
    chunks = Chunks(8 * 1024 * KIB)
    response = await client.post(
        "/api/cities", content=chunks, headers={**ADMIN, "Content-Type": "application/json"}
    )
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "payload_too_large"
    assert chunks.sent <= SMALL_LIMIT + 2 * chunks.chunk  # read up to the limit, not 8 MiB


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
@pytest.mark.parametrize("headers", [{}, {"Authorization": "Bearer nope"}], ids=["none", "bad"])
async def test_anonymous_oversize_body_is_still_401(
    untouched_client: httpx.AsyncClient, streamed: bool, headers: dict[str, str]
) -> None:
    chunks = Chunks(8 * 1024 * KIB)
    content: Any = chunks if streamed else b" " * (8 * 1024 * KIB)
    response = await untouched_client.post(
        "/api/slots/1/book", content=content, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert chunks.sent <= SMALL_LIMIT + 2 * chunks.chunk


async def test_bulk_create_has_its_own_larger_limit(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    slots = [
        {"recruiter_id": recruiter["id"], "start_utc": f"2030-02-{day:02d}T09:00:00Z"}
        for day in range(1, 11)
    ]
    headers = {**ADMIN, "Content-Type": "application/json"}
    big = padded({"slots": slots}, 200 * KIB)  # over the default, under the bulk limit
    created = await client.post("/api/slots/bulk", content=big, headers=headers)
    assert created.status_code == 201, created.text
    assert len(created.json()) == 10
    single = await client.post("/api/slots", content=padded(slots[0], 200 * KIB), headers=headers)
    assert single.status_code == 413
    too_big = await client.post(
        "/api/slots/bulk", content=padded({"slots": slots}, BULK_LIMIT + 1), headers=headers
    )
    assert too_big.status_code == 413
    assert too_big.json()["error"]["code"] == "payload_too_large"


async def test_bulk_create_is_capped_by_count(client: httpx.AsyncClient, api: Api) -> None:
    slots = [
        {"recruiter_id": 1, "start_utc": f"2031-01-01T{i // 60 % 24:02d}:{i % 60:02d}:00Z"}
        for i in range(MAX_BULK_SLOTS + 1)
    ]
    response = await client.post("/api/slots/bulk", json={"slots": slots}, headers=ADMIN)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert "slots" in response.json()["error"]["message"]


@pytest.fixture
async def small_limits_client(engine: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = get_settings().model_copy(
        update={"slotwise_max_body_bytes": 2048, "slotwise_max_bulk_body_bytes": 4096}
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


async def test_limits_come_from_the_settings(small_limits_client: httpx.AsyncClient) -> None:
    headers = {**ADMIN, "Content-Type": "application/json"}
    city = padded({"name": "X", "timezone": "UTC"}, 3000)
    refused = await small_limits_client.post("/api/cities", content=city, headers=headers)
    assert refused.status_code == 413 and "2048" in refused.text
    bulk = padded({"slots": []}, 3000)
    parsed = await small_limits_client.post("/api/slots/bulk", content=bulk, headers=headers)
    assert parsed.status_code == 422  # read and parsed: an empty list is invalid


# --- dates ------------------------------------------------------------------------------------

OUT_OF_RANGE = [
    "9999-12-31T23:59:59-01:00",  # was a 500 (OverflowError in the cache key builder)
    "9999-12-31T23:30:00Z",
    "9000-01-01T00:00:00Z",
    "8999-12-31T23:59:59-01:00",
    "0001-01-01T00:00:00+14:00",  # was a 503
    "0001-01-01T00:00:00Z",
    "1969-12-31T23:59:59Z",
    "1970-01-01T00:00:00+14:00",
]


@pytest.mark.parametrize("when", OUT_OF_RANGE)
@pytest.mark.parametrize("param", ["start_from", "start_to"])
@pytest.mark.parametrize("headers", [ADMIN, BOT], ids=["admin", "bot"])
async def test_list_filter_outside_the_range_is_422(
    client: httpx.AsyncClient, param: str, when: str, headers: dict[str, str]
) -> None:
    response = await client.get("/api/slots", params={param: when}, headers=headers)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert param in error["message"] and "1970-01-01T00:00:00Z" in error["message"]


@pytest.mark.parametrize("when", OUT_OF_RANGE)
async def test_slot_start_outside_the_range_is_422(
    client: httpx.AsyncClient, api: Api, when: str
) -> None:
    recruiter = await api.recruiter()
    body = {"recruiter_id": recruiter["id"], "start_utc": when, "duration_min": 480}
    single = await client.post("/api/slots", json=body, headers=ADMIN)
    assert single.status_code == 422, single.text
    assert "start_utc" in single.json()["error"]["message"]
    fine = {**body, "start_utc": "2030-01-01T09:00:00Z"}
    bulk = await client.post("/api/slots/bulk", json={"slots": [fine, body]}, headers=ADMIN)
    assert bulk.status_code == 422, bulk.text
    assert (await api.ok("GET", "/api/slots"))["total"] == 0


async def test_the_edges_of_the_range_work_end_to_end(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    last = await api.slot(recruiter["id"], "8999-12-31T23:00:00-00:30", duration_min=480)
    first = await api.slot(recruiter["id"], "1970-01-01T00:00:00Z")
    for headers in (ADMIN, BOT):
        late = await client.get(
            "/api/slots",
            params={"start_from": "8999-12-31T22:00:00-01:00", "start_to": "8999-12-31T23:59:59Z"},
            headers=headers,
        )
        assert late.status_code == 200, late.text
        assert [s["id"] for s in late.json()["items"]] == [last["id"]]
        early = await client.get(
            "/api/slots",
            params={"start_from": "1970-01-01T00:00:00Z", "start_to": "1970-01-01T01:00:00+01:00"},
            headers=headers,
        )
        assert early.status_code == 200, early.text
        assert early.json()["items"] == []  # start_to is exclusive: 1970-01-01T00:00Z
    booked = await api.book(last["id"])
    assert booked["status"] == "pending"
    assert first["start_utc"] == "1970-01-01T00:00:00Z"


async def test_an_outage_logs_its_cause(
    engine: Any, tmp_path: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = get_settings().model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            with caplog.at_level(logging.WARNING, logger="slotwise.api.errors"):
                response = await c.post(
                    "/api/cities", json={"name": "Secret", "timezone": "UTC"}, headers=ADMIN
                )
    assert response.status_code == 503
    records = [r.getMessage() for r in caplog.records if r.name == "slotwise.api.errors"]
    assert any("OperationalError" in m and "unable to open database" in m for m in records), records
    assert not any("Secret" in m or "INSERT" in m for m in records)
