"""Bounded lock waits over HTTP (PostgreSQL): a request that needs a row another transaction
holds answers 409 "retry" after ``SLOTWISE_LOCK_TIMEOUT_MS`` (2 s by default) instead of
waiting for the driver's 30 s command timeout; and overlapping bulk creates sent in opposite
orders do not deadlock."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from tests.e2e.conftest import ADMIN, Api

#: Far above the 2 s lock timeout and far below the 30 s command timeout it replaces: only
#: a guard so that a regression fails instead of hanging, not a speed claim.
GUARD_SECONDS = 20


def assert_retry_conflict(response: httpx.Response) -> None:
    assert response.status_code == 409, response.text
    error = response.json()["error"]
    assert error["code"] == "conflict"
    assert "retry" in error["message"]


@pytest.mark.real_services
async def test_booking_a_slot_locked_elsewhere_is_a_409_retry(
    client: httpx.AsyncClient, api: Api, engine: AsyncEngine
) -> None:
    slot = await api.slot((await api.recruiter())["id"])
    book = {"telegram_id": 111, "name": "Cand"}
    async with engine.connect() as holder:
        await holder.execute(
            text("SELECT id FROM slots WHERE id = :id FOR UPDATE"), {"id": slot["id"]}
        )
        async with asyncio.timeout(GUARD_SECONDS):
            blocked = await client.post(f"/api/slots/{slot['id']}/book", json=book, headers=ADMIN)
        assert_retry_conflict(blocked)
        await holder.rollback()
    booked = await client.post(f"/api/slots/{slot['id']}/book", json=book, headers=ADMIN)
    assert booked.status_code == 200 and booked.json()["status"] == "pending"


@pytest.mark.real_services
async def test_a_slot_insert_waits_for_a_recruiter_being_deleted(
    client: httpx.AsyncClient, api: Api, engine: AsyncEngine
) -> None:
    """Recruiter delete locks the recruiter row first; an insert of a slot for that recruiter
    (its foreign key check shares that row) cannot slip in before the delete has looked."""
    anna = await api.recruiter()
    body = {"recruiter_id": anna["id"], "start_utc": "2030-01-07T09:00:00Z"}
    async with engine.connect() as deleting:
        await deleting.execute(
            text("SELECT id FROM recruiters WHERE id = :id FOR UPDATE"), {"id": anna["id"]}
        )
        async with asyncio.timeout(GUARD_SECONDS):
            blocked = await client.post("/api/slots", json=body, headers=ADMIN)
        assert_retry_conflict(blocked)
        await deleting.rollback()
    assert (await client.post("/api/slots", json=body, headers=ADMIN)).status_code == 201


async def test_opposite_order_overlapping_bulk_creates_do_not_deadlock(
    client: httpx.AsyncClient, api: Api
) -> None:
    """One batch wins, the other is refused for the overlap (never a deadlock "retry")."""
    anna = await api.recruiter()
    ours = ["2030-01-07T09:00:00Z", "2030-01-07T11:00:00Z", "2030-01-07T13:00:00Z"]
    theirs = ["2030-01-07T13:30:00Z", "2030-01-07T11:30:00Z", "2030-01-07T09:30:00Z"]

    async def bulk(starts: list[str]) -> httpx.Response:
        slots = [{"recruiter_id": anna["id"], "start_utc": start} for start in starts]
        return await client.post("/api/slots/bulk", json={"slots": slots}, headers=ADMIN)

    for _ in range(3):
        responses = await asyncio.gather(bulk(ours), bulk(theirs))
        assert sorted(r.status_code for r in responses) == [201, 409]
        refused = next(r for r in responses if r.status_code == 409).json()["error"]
        assert "overlaps" in refused["message"], refused
        for created in next(r for r in responses if r.status_code == 201).json():
            await api.ok("DELETE", f"/api/slots/{created['id']}", status=204)
