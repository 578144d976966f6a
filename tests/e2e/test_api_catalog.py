"""Cities, recruiters and templates through the HTTP API: create, change, delete, filters."""

from __future__ import annotations

import httpx

from tests.e2e.conftest import ADMIN, BOT, Api


async def test_cities(client: httpx.AsyncClient, api: Api) -> None:
    berlin = await api.city()
    assert berlin == {
        "id": berlin["id"],
        "name": "Berlin",
        "timezone": "Europe/Berlin",
        "active": True,
        "responsible_recruiter_id": None,
    }
    tokyo = await api.city("Tokyo", "Asia/Tokyo")
    dup = await client.post("/api/cities", json={"name": "Tokyo", "timezone": "UTC"}, headers=ADMIN)
    assert dup.status_code == 409
    assert dup.json()["error"]["code"] == "conflict"
    recruiter = await api.recruiter()
    changed = await api.ok(
        "PATCH",
        f"/api/cities/{tokyo['id']}",
        {"active": False, "responsible_recruiter_id": recruiter["id"]},
    )
    assert (changed["active"], changed["responsible_recruiter_id"]) == (False, recruiter["id"])
    cleared = await api.ok(
        "PATCH", f"/api/cities/{tokyo['id']}", {"responsible_recruiter_id": None}
    )
    assert cleared["responsible_recruiter_id"] is None and cleared["name"] == "Tokyo"
    listing = (await client.get("/api/cities", headers=BOT)).json()
    assert [c["name"] for c in listing["items"]] == ["Berlin", "Tokyo"]
    active = (await client.get("/api/cities?active=true", headers=BOT)).json()
    assert [c["id"] for c in active["items"]] == [berlin["id"]]
    bad_ref = await client.patch(
        f"/api/cities/{berlin['id']}", json={"responsible_recruiter_id": 10**9}, headers=ADMIN
    )
    assert bad_ref.status_code == 422
    missing = await client.patch("/api/cities/999", json={"name": "N"}, headers=ADMIN)
    assert missing.status_code == 404


async def test_recruiters(client: httpx.AsyncClient, api: Api) -> None:
    berlin = await api.city()
    tokyo = await api.city("Tokyo", "Asia/Tokyo")
    anna = await api.recruiter("Anna", [berlin["id"], tokyo["id"]])
    assert anna["city_ids"] == sorted([berlin["id"], tokyo["id"]])
    bob = await api.recruiter("Bob", [tokyo["id"]])
    got = await client.get(f"/api/recruiters/{anna['id']}", headers=BOT)
    assert got.json() == anna
    changed = await api.ok(
        "PATCH",
        f"/api/recruiters/{bob['id']}",
        {"city_ids": [berlin["id"]], "meeting_url": "https://meet.example/bob", "active": False},
    )
    assert changed["city_ids"] == [berlin["id"]]
    assert changed["meeting_url"] == "https://meet.example/bob"

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/recruiters?{query}", headers=BOT)
        return [r["name"] for r in response.json()["items"]]

    assert await names("") == ["Anna", "Bob"]
    assert await names("active=true") == ["Anna"]
    assert await names(f"city_id={tokyo['id']}") == ["Anna"]
    assert await names(f"city_id={berlin['id']}&active=false") == ["Bob"]
    unknown_city = await client.post(
        "/api/recruiters", json={"name": "C", "city_ids": [10**9]}, headers=ADMIN
    )
    assert unknown_city.status_code == 422
    assert (await client.get("/api/recruiters/999", headers=BOT)).status_code == 404


async def test_recruiter_delete_refused_while_booked(client: httpx.AsyncClient, api: Api) -> None:
    recruiter = await api.recruiter()
    slot = await api.slot(recruiter["id"])
    await api.book(slot["id"])
    refused = await client.delete(f"/api/recruiters/{recruiter['id']}", headers=ADMIN)
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "conflict"
    assert (await api.ok("GET", f"/api/slots/{slot['id']}"))["status"] == "pending"
    await api.ok("POST", f"/api/slots/{slot['id']}/cancel")
    deleted = await client.delete(f"/api/recruiters/{recruiter['id']}", headers=ADMIN)
    assert deleted.status_code == 204
    assert (await client.get(f"/api/recruiters/{recruiter['id']}", headers=BOT)).status_code == 404
    assert (await client.get(f"/api/slots/{slot['id']}", headers=BOT)).status_code == 404
    again = await client.delete(f"/api/recruiters/{recruiter['id']}", headers=ADMIN)
    assert again.status_code == 404


async def test_templates_and_resolve_fallback(client: httpx.AsyncClient, api: Api) -> None:
    berlin = await api.city()
    tokyo = await api.city("Tokyo", "Asia/Tokyo")
    glob = await api.ok("POST", "/api/templates", {"key": "reminder", "text": "Reminder"}, 201)
    own = await api.ok(
        "POST",
        "/api/templates",
        {"city_id": berlin["id"], "key": "reminder", "text": "Erinnerung"},
        201,
    )
    dup = await client.post("/api/templates", json={"key": "reminder", "text": "x"}, headers=ADMIN)
    assert dup.status_code == 409

    async def resolve(query: str) -> httpx.Response:
        return await client.get(f"/api/templates/resolve?{query}", headers=BOT)

    assert (await resolve(f"city_id={berlin['id']}&key=reminder")).json()["text"] == "Erinnerung"
    assert (await resolve(f"city_id={tokyo['id']}&key=reminder")).json()["text"] == "Reminder"
    assert (await resolve("key=reminder")).json()["id"] == glob["id"]
    missing = await resolve("key=nothing")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    listing = (await client.get(f"/api/templates?city_id={berlin['id']}", headers=BOT)).json()
    assert [t["id"] for t in listing["items"]] == [own["id"]]
    by_key = (await client.get("/api/templates?key=reminder", headers=BOT)).json()
    assert by_key["total"] == 2
    changed = await api.ok("PATCH", f"/api/templates/{own['id']}", {"text": "Neu"})
    assert changed["text"] == "Neu"
    assert (await resolve(f"city_id={berlin['id']}&key=reminder")).json()["text"] == "Neu"
    bad_city = await client.post(
        "/api/templates", json={"city_id": 10**9, "key": "k", "text": "t"}, headers=ADMIN
    )
    assert bad_city.status_code == 422
    assert (await client.delete(f"/api/templates/{own['id']}", headers=ADMIN)).status_code == 204
    assert (await resolve(f"city_id={berlin['id']}&key=reminder")).json()["text"] == "Reminder"
    assert (await client.delete(f"/api/templates/{own['id']}", headers=ADMIN)).status_code == 404


async def test_metrics_summary_for_admin(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/metrics/summary", headers=ADMIN)
    assert response.status_code == 200
    assert "cache" in response.json()
