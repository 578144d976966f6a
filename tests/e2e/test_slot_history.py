"""GET /api/slots/{id}/history: the audit trail of a slot's booking transitions, for admins."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx

from tests.e2e.conftest import ADMIN, BOT, Api


def steps(page: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            e["action"],
            e["from_status"],
            e["to_status"],
            e["actor_role"],
            e["candidate_telegram_id"],
            e["related_slot_id"],
        )
        for e in page["items"]
    ]


async def history(client: httpx.AsyncClient, slot_id: int, query: str = "") -> dict[str, Any]:
    response = await client.get(f"/api/slots/{slot_id}/history{query}", headers=ADMIN)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_every_transition_is_in_the_history(client: httpx.AsyncClient, api: Api) -> None:
    anna = await api.recruiter()
    first = await api.slot(anna["id"], "2030-01-07T09:00:00Z")
    second = await api.slot(anna["id"], "2030-01-07T11:00:00Z")
    started = datetime.now(UTC)
    candidate = {"telegram_id": 111}

    async def act(path: str, headers: dict[str, str], body: Any = None) -> None:
        response = await client.post(path, json=body, headers=headers)
        assert response.status_code == 200, response.text

    await act(f"/api/slots/{first['id']}/book", BOT, {**candidate, "name": "Ada"})
    await act(f"/api/slots/{first['id']}/approve", ADMIN)
    await act(f"/api/slots/{first['id']}/confirm", BOT, candidate)
    await act(
        f"/api/slots/{first['id']}/reschedule", BOT, {**candidate, "new_slot_id": second["id"]}
    )
    await act(f"/api/slots/{second['id']}/release", ADMIN, candidate)
    await act(f"/api/slots/{second['id']}/cancel", ADMIN)

    old = await history(client, first["id"])
    assert steps(old) == [
        ("book", "free", "pending", "bot", 111, None),
        ("approve", "pending", "booked", "admin", 111, None),
        ("confirm", "booked", "confirmed_by_candidate", "bot", 111, None),
        ("reschedule", "confirmed_by_candidate", "free", "bot", 111, second["id"]),
    ]
    assert (old["total"], old["limit"], old["offset"]) == (4, 100, 0)
    assert all(e["slot_id"] == first["id"] for e in old["items"])
    times = [datetime.fromisoformat(e["at"]) for e in old["items"]]
    assert times == sorted(times) and started <= times[0] <= datetime.now(UTC)
    new = await history(client, second["id"])
    assert steps(new) == [
        ("reschedule", "free", "pending", "bot", 111, first["id"]),
        ("release", "pending", "free", "admin", 111, None),
        ("cancel", "free", "canceled", "admin", None, None),
    ]

    page = await history(client, first["id"], "?limit=2&offset=1")
    assert [e["action"] for e in page["items"]] == ["approve", "confirm"]
    assert (page["total"], page["limit"], page["offset"]) == (4, 2, 1)


async def test_refused_transitions_leave_no_event(client: httpx.AsyncClient, api: Api) -> None:
    anna = await api.recruiter()
    first = await api.slot(anna["id"], "2030-01-07T09:00:00Z")
    second = await api.slot(anna["id"], "2030-01-07T11:00:00Z")
    await api.book(first["id"], telegram_id=111)

    approve_free = await client.post(f"/api/slots/{second['id']}/approve", headers=ADMIN)
    assert approve_free.status_code == 409  # the domain refuses: free cannot be approved
    # The database refuses: one active slot per candidate and recruiter (a rolled-back write).
    again = await client.post(
        f"/api/slots/{second['id']}/book", json={"telegram_id": 111, "name": "C"}, headers=BOT
    )
    assert again.status_code == 409 and again.json()["error"]["code"] == "conflict"
    not_holder = await client.post(
        f"/api/slots/{first['id']}/release", json={"telegram_id": 222}, headers=BOT
    )
    assert not_holder.status_code == 409

    assert (await history(client, second["id"]))["items"] == []
    assert [e["action"] for e in (await history(client, first["id"]))["items"]] == ["book"]


async def test_history_is_for_admins_of_existing_slots(client: httpx.AsyncClient, api: Api) -> None:
    slot = await api.slot((await api.recruiter())["id"])

    as_bot = await client.get(f"/api/slots/{slot['id']}/history", headers=BOT)
    assert as_bot.status_code == 403 and as_bot.json()["error"]["code"] == "forbidden"
    anonymous = await client.get(f"/api/slots/{slot['id']}/history")
    assert anonymous.status_code == 401
    missing = await client.get("/api/slots/999999/history", headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json()["error"]["details"] == {"entity": "Slot", "id": 999999}
    too_many = await client.get(f"/api/slots/{slot['id']}/history?limit=501", headers=ADMIN)
    assert too_many.status_code == 422
    assert (await history(client, slot["id"]))["total"] == 0
