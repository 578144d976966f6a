"""Slots through the HTTP API: every transition from every status, filters, bulk, delete."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN, BOT, Api

STATUSES = ("free", "pending", "booked", "confirmed_by_candidate", "canceled")
TG = 4242

# action -> (statuses it is allowed from, resulting status)
ALLOWED: dict[str, tuple[set[str], str]] = {
    "book": ({"free"}, "pending"),
    "approve": ({"pending"}, "booked"),
    "confirm": ({"booked"}, "confirmed_by_candidate"),
    "release": ({"pending", "booked", "confirmed_by_candidate"}, "free"),
    "cancel": ({"free", "pending", "booked", "confirmed_by_candidate"}, "canceled"),
}
BODIES: dict[str, dict[str, Any] | None] = {
    "book": {"telegram_id": TG, "name": "Mila", "timezone": "Asia/Tokyo"},
    "approve": None,
    "confirm": {"telegram_id": TG},
    "release": {"telegram_id": TG},
    "cancel": None,
}


async def slot_in(api: Api, status: str, start: str = "2030-01-07T09:00:00Z") -> dict[str, Any]:
    """A new slot brought to ``status`` through the API."""
    recruiter = await api.recruiter(name=f"R {start}")
    slot: dict[str, Any] = await api.slot(recruiter["id"], start=start)
    sid = slot["id"]
    if status == "canceled":
        canceled: dict[str, Any] = await api.ok("POST", f"/api/slots/{sid}/cancel")
        return canceled
    if status != "free":
        slot = await api.ok("POST", f"/api/slots/{sid}/book", BODIES["book"])
    if status in {"booked", "confirmed_by_candidate"}:
        slot = await api.ok("POST", f"/api/slots/{sid}/approve")
    if status == "confirmed_by_candidate":
        slot = await api.ok("POST", f"/api/slots/{sid}/confirm", {"telegram_id": TG})
    assert slot["status"] == status
    return slot


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("action", sorted(ALLOWED))
async def test_every_transition_from_every_status(
    client: httpx.AsyncClient, api: Api, action: str, status: str
) -> None:
    slot = await slot_in(api, status)
    url = f"/api/slots/{slot['id']}/{action}"
    response = await client.post(url, json=BODIES[action], headers=ADMIN)
    sources, target = ALLOWED[action]
    after = await api.ok("GET", f"/api/slots/{slot['id']}")
    if status in sources:
        assert response.status_code == 200, response.text
        assert response.json()["status"] == target == after["status"]
        if target in {"free", "canceled"} and action == "release":
            assert after["candidate"] is None
    else:
        assert response.status_code == 409, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_transition"
        assert error["details"] == {"action": action, "from_status": status}
        assert after == slot


async def test_book_records_candidate_and_creates_user(client: httpx.AsyncClient, api: Api) -> None:
    slot = await slot_in(api, "free")
    body = {"telegram_id": 77, "name": "Oleg", "timezone": "Europe/Moscow"}
    response = await client.post(f"/api/slots/{slot['id']}/book", json=body, headers=BOT)
    assert response.status_code == 200
    assert response.json()["candidate"] == body
    assert response.json()["recruiter"]["id"] == slot["recruiter_id"]
    upcoming = await client.get("/api/candidates/77/slots", headers=BOT)
    assert [s["id"] for s in upcoming.json()["items"]] == [slot["id"]]
    assert upcoming.json()["total"] == 1


async def test_book_updates_existing_candidate(make_uow: Any, api: Api) -> None:
    first = await slot_in(api, "free", "2030-01-07T09:00:00Z")
    second = await slot_in(api, "free", "2030-01-08T09:00:00Z")
    await api.ok("POST", f"/api/slots/{first['id']}/book", {"telegram_id": 5, "name": "A"})
    await api.ok(
        "POST",
        f"/api/slots/{second['id']}/book",
        {"telegram_id": 5, "name": "B", "timezone": "UTC"},
    )
    async with make_uow() as uow:
        user = (await uow.users.get_by_telegram_id(5)).unwrap()
        assert (user.name, user.timezone) == ("B", "UTC")
        assert (await uow.users.count()).unwrap() == 1


async def test_confirm_and_release_need_the_holder(client: httpx.AsyncClient, api: Api) -> None:
    slot = await slot_in(api, "booked")
    for action in ("confirm", "release"):
        url = f"/api/slots/{slot['id']}/{action}"
        response = await client.post(url, json={"telegram_id": TG + 1}, headers=BOT)
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "conflict"
    assert (await api.ok("GET", f"/api/slots/{slot['id']}")) == slot


async def test_one_active_slot_per_candidate_and_recruiter(
    client: httpx.AsyncClient, api: Api
) -> None:
    recruiter = await api.recruiter()
    a = await api.slot(recruiter["id"], start="2030-01-07T09:00:00Z")
    b = await api.slot(recruiter["id"], start="2030-01-07T11:00:00Z")
    await api.book(a["id"], telegram_id=9)
    response = await client.post(
        f"/api/slots/{b['id']}/book", json={"telegram_id": 9, "name": "x"}, headers=BOT
    )
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert (await api.ok("GET", f"/api/slots/{b['id']}"))["status"] == "free"


async def test_reschedule_moves_the_candidate(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    old = await api.slot(recruiter["id"], start="2030-01-07T09:00:00Z")
    new = await api.slot(recruiter["id"], start="2030-01-07T11:00:00Z")
    await api.book(old["id"], telegram_id=9, name="Vera")
    body = {"telegram_id": 9, "new_slot_id": new["id"]}
    response = await client.post(f"/api/slots/{old['id']}/reschedule", json=body, headers=BOT)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "pending"
    assert response.json()["candidate"]["name"] == "Vera"
    assert (await api.ok("GET", f"/api/slots/{old['id']}"))["status"] == "free"


@pytest.mark.parametrize("target_status", ["pending", "booked", "canceled"])
async def test_reschedule_to_a_taken_slot_changes_nothing(
    client: httpx.AsyncClient, api: Api, target_status: str
) -> None:
    recruiter = await api.recruiter()
    old = await api.slot(recruiter["id"], start="2030-01-07T09:00:00Z")
    old = await api.book(old["id"], telegram_id=9)
    target = await slot_in(api, target_status, start="2030-02-01T09:00:00Z")
    body = {"telegram_id": 9, "new_slot_id": target["id"]}
    response = await client.post(f"/api/slots/{old['id']}/reschedule", json=body, headers=BOT)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"
    assert await api.ok("GET", f"/api/slots/{old['id']}") == old
    assert await api.ok("GET", f"/api/slots/{target['id']}") == target


@pytest.mark.parametrize(
    ("case", "status", "code"),
    [
        ("not the holder", 409, "conflict"),
        ("same slot", 422, "validation_error"),
        ("unknown slot", 404, "not_found"),
        ("old slot free", 409, "invalid_transition"),
    ],
)
async def test_reschedule_errors(
    client: httpx.AsyncClient, api: Api, case: str, status: int, code: str
) -> None:
    recruiter = await api.recruiter()
    old = await api.slot(recruiter["id"], start="2030-01-07T09:00:00Z")
    new = await api.slot(recruiter["id"], start="2030-01-07T11:00:00Z")
    if case != "old slot free":
        old = await api.book(old["id"], telegram_id=9)
    body = {
        "telegram_id": 10 if case == "not the holder" else 9,
        "new_slot_id": {"same slot": old["id"], "unknown slot": 10**12}.get(case, new["id"]),
    }
    response = await client.post(f"/api/slots/{old['id']}/reschedule", json=body, headers=BOT)
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert await api.ok("GET", f"/api/slots/{old['id']}") == old
    assert await api.ok("GET", f"/api/slots/{new['id']}") == new


async def test_slot_list_filters_and_order(client: httpx.AsyncClient, api: Api) -> None:
    berlin = await api.city()
    tokyo = await api.city("Tokyo", "Asia/Tokyo")
    r1 = await api.recruiter("One", [berlin["id"]])
    r2 = await api.recruiter("Two", [tokyo["id"]])
    s1 = await api.slot(r1["id"], "2030-01-07T10:00:00Z", city_id=berlin["id"])
    s2 = await api.slot(r1["id"], "2030-01-07T08:00:00Z", city_id=berlin["id"])
    s3 = await api.slot(r2["id"], "2030-01-08T08:00:00+09:00", city_id=tokyo["id"])
    await api.book(s1["id"])

    async def ids(query: str) -> list[int]:
        response = await client.get(f"/api/slots?{query}", headers=BOT)
        assert response.status_code == 200, response.text
        return [s["id"] for s in response.json()["items"]]

    assert await ids("") == [s2["id"], s1["id"], s3["id"]]
    assert await ids(f"recruiter_id={r1['id']}") == [s2["id"], s1["id"]]
    assert await ids(f"city_id={tokyo['id']}") == [s3["id"]]
    assert await ids("status=pending") == [s1["id"]]
    assert await ids("start_from=2030-01-07T09:00:00Z") == [s1["id"], s3["id"]]
    assert await ids("start_to=2030-01-07T10:00:00%2B00:00") == [s2["id"]]
    assert await ids("limit=1&offset=1") == [s1["id"]]
    page = (await client.get("/api/slots?limit=2", headers=BOT)).json()
    assert (page["total"], page["limit"], page["offset"]) == (3, 2, 0)
    assert page["items"][2:] == []
    assert (await client.get("/api/slots?status=lost", headers=BOT)).status_code == 422


async def test_bulk_create_is_all_or_nothing(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    rid = recruiter["id"]
    ok_body = {
        "slots": [
            {"recruiter_id": rid, "start_utc": "2030-01-07T09:00:00Z"},
            {"recruiter_id": rid, "start_utc": "2030-01-07T10:00:00Z", "duration_min": 30},
        ]
    }
    response = await client.post("/api/slots/bulk", json=ok_body, headers=ADMIN)
    assert response.status_code == 201, response.text
    assert [s["status"] for s in response.json()] == ["free", "free"]
    bad_body = {
        "slots": [
            {"recruiter_id": rid, "start_utc": "2030-01-09T09:00:00Z"},
            {"recruiter_id": rid, "start_utc": "2030-01-07T09:30:00Z"},  # overlaps
        ]
    }
    response = await client.post("/api/slots/bulk", json=bad_body, headers=ADMIN)
    assert response.status_code == 409
    assert response.json()["error"]["details"]["field"].startswith("slots[1]")
    assert (await api.ok("GET", "/api/slots"))["total"] == 2
    unknown = {"slots": [{"recruiter_id": 10**9, "start_utc": "2030-01-09T09:00:00Z"}]}
    response = await client.post("/api/slots/bulk", json=unknown, headers=ADMIN)
    assert response.status_code == 422
    empty = await client.post("/api/slots/bulk", json={"slots": []}, headers=ADMIN)
    assert empty.status_code == 422


@pytest.mark.parametrize("status", STATUSES)
async def test_delete_only_free_or_canceled(
    client: httpx.AsyncClient, api: Api, status: str
) -> None:
    slot = await slot_in(api, status)
    response = await client.delete(f"/api/slots/{slot['id']}", headers=ADMIN)
    after = await client.get(f"/api/slots/{slot['id']}", headers=ADMIN)
    if status in {"free", "canceled"}:
        assert response.status_code == 204
        assert after.status_code == 404
        assert after.json()["error"]["code"] == "not_found"
    else:
        assert response.status_code == 409
        assert response.json()["error"]["code"] == "invalid_transition"
        assert after.json() == slot


async def test_create_slot_errors(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    await api.slot(recruiter["id"], start="2030-01-07T09:00:00Z")
    cases = [
        ({"recruiter_id": recruiter["id"], "start_utc": "2030-01-07T09:30:00Z"}, 409),
        ({"recruiter_id": 10**9, "start_utc": "2030-01-07T09:00:00Z"}, 422),
        (
            {
                "recruiter_id": recruiter["id"],
                "start_utc": "2030-01-07T12:00:00Z",
                "city_id": 10**9,
            },
            422,
        ),
        (
            {
                "recruiter_id": recruiter["id"],
                "start_utc": "2030-01-07T12:00:00Z",
                "duration_min": 5,
            },
            422,
        ),
        ({"recruiter_id": recruiter["id"], "start_utc": "2030-01-07T12:00:00"}, 422),
    ]
    for body, status in cases:
        response = await client.post("/api/slots", json=body, headers=ADMIN)
        assert response.status_code == status, (body, response.text)
    assert (await api.ok("GET", "/api/slots"))["total"] == 1


async def test_missing_slot_is_404_for_every_action(client: httpx.AsyncClient) -> None:
    for action, body in BODIES.items():
        response = await client.post(f"/api/slots/999/{action}", json=body, headers=ADMIN)
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    assert (await client.get("/api/slots/999", headers=BOT)).status_code == 404
