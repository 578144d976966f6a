"""ETags on single resources and If-Match on the writes of recruiters, cities and templates."""

from __future__ import annotations

import asyncio
import hashlib
from typing import Any

import httpx

from tests.e2e.conftest import ADMIN, BOT, Api


def tag_of(response: httpx.Response) -> str:
    """The response's ETag, checked to be the strong hash of exactly its body."""
    etag = response.headers["etag"]
    assert etag == f'"{hashlib.sha256(response.content).hexdigest()[:32]}"'
    return etag


def if_match(etag: str) -> dict[str, str]:
    return {**ADMIN, "If-Match": etag}


def assert_precondition_failed(response: httpx.Response, entity: str) -> None:
    assert response.status_code == 412, response.text
    error = response.json()["error"]
    assert error["code"] == "precondition_failed"
    assert error["details"] == {"entity": entity, "header": "If-Match"}
    assert "etag" not in response.headers


async def test_recruiter_etags_and_if_match(client: httpx.AsyncClient, api: Api) -> None:
    berlin = await api.city()
    created = await client.post(
        "/api/recruiters", json={"name": "Anna", "city_ids": [berlin["id"]]}, headers=ADMIN
    )
    assert created.status_code == 201
    url = f"/api/recruiters/{created.json()['id']}"
    first = tag_of(created)
    got = await client.get(url, headers=BOT)
    assert tag_of(got) == first and got.json() == created.json()

    changed = await client.patch(url, json={"name": "Anna B."}, headers=if_match(first))
    assert changed.status_code == 200 and changed.json()["name"] == "Anna B."
    second = tag_of(changed)
    assert second != first
    assert tag_of(await client.get(url, headers=ADMIN)) == second

    stale = await client.patch(url, json={"city_ids": []}, headers=if_match(first))
    assert_precondition_failed(stale, "Recruiter")
    assert (await client.get(url, headers=ADMIN)).json()["city_ids"] == [berlin["id"]]
    listed = await client.patch(url, json={"active": False}, headers=if_match(f'"x", {second}'))
    assert listed.status_code == 200
    weak = await client.patch(url, json={"active": True}, headers=if_match(f"W/{tag_of(listed)}"))
    assert_precondition_failed(weak, "Recruiter")
    anything = await client.patch(url, json={"active": True}, headers=if_match("*"))
    assert anything.status_code == 200

    # The tag is the representation's: back to the same state is back to the same tag.
    assert tag_of(anything) == second
    refused = await client.delete(url, headers=if_match(first))
    assert_precondition_failed(refused, "Recruiter")
    assert (await client.get(url, headers=ADMIN)).status_code == 200
    assert (await client.delete(url, headers=if_match(tag_of(anything)))).status_code == 204
    gone = await client.patch(url, json={"active": False}, headers=if_match("*"))
    assert gone.status_code == 404


async def test_city_etags_and_if_match(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/cities", json={"name": "Berlin", "timezone": "Europe/Berlin"}, headers=ADMIN
    )
    url = f"/api/cities/{created.json()['id']}"
    first = tag_of(created)
    got = await client.get(url, headers=BOT)
    assert got.json() == created.json() and tag_of(got) == first

    changed = await client.patch(url, json={"active": False}, headers=if_match(first))
    assert changed.status_code == 200
    assert_precondition_failed(
        await client.patch(url, json={"name": "Bonn"}, headers=if_match(first)), "City"
    )
    assert (await client.get(url, headers=BOT)).json()["name"] == "Berlin"
    unconditional = await client.patch(url, json={"name": "Bonn"}, headers=ADMIN)
    assert unconditional.status_code == 200 and tag_of(unconditional) != tag_of(changed)
    assert (await client.get("/api/cities/999", headers=BOT)).status_code == 404


async def test_template_etags_and_if_match(client: httpx.AsyncClient) -> None:
    created = await client.post(
        "/api/templates", json={"key": "reminder", "text": "Hi"}, headers=ADMIN
    )
    url = f"/api/templates/{created.json()['id']}"
    first = tag_of(created)
    assert tag_of(await client.get(url, headers=BOT)) == first
    resolved = await client.get("/api/templates/resolve?key=reminder", headers=BOT)
    assert tag_of(resolved) == first

    changed = await client.patch(url, json={"text": "Hello"}, headers=if_match(first))
    assert changed.status_code == 200
    assert_precondition_failed(
        await client.patch(url, json={"text": "Lost"}, headers=if_match(first)), "Template"
    )
    assert_precondition_failed(await client.delete(url, headers=if_match(first)), "Template")
    assert (await client.get(url, headers=BOT)).json()["text"] == "Hello"
    assert (await client.delete(url, headers=if_match(tag_of(changed)))).status_code == 204
    assert (await client.get(url, headers=BOT)).status_code == 404


async def test_slot_etags_follow_what_the_role_sees(client: httpx.AsyncClient, api: Api) -> None:
    anna = await api.recruiter()
    created = await client.post(
        "/api/slots",
        json={"recruiter_id": anna["id"], "start_utc": "2030-01-07T09:00:00Z"},
        headers=ADMIN,
    )
    assert created.status_code == 201
    url = f"/api/slots/{created.json()['id']}"
    free = tag_of(created)
    assert tag_of(await client.get(url, headers=BOT)) == free
    booked = await client.post(
        f"{url}/book", json={"telegram_id": 111, "name": "Cand"}, headers=ADMIN
    )
    assert booked.status_code == 200
    assert tag_of(booked) != free
    as_admin = await client.get(url, headers=ADMIN)
    as_bot = await client.get(url, headers=BOT)
    assert tag_of(as_admin) == tag_of(booked)
    assert tag_of(as_bot) != tag_of(as_admin)  # the bot's body has no candidate in it
    assert tag_of(await client.post(f"{url}/approve", headers=ADMIN)) != tag_of(as_admin)


async def test_two_updates_with_the_same_if_match_one_wins(
    client: httpx.AsyncClient, api: Api
) -> None:
    """The lost update of ``city_ids``: both read the same version, both send it; the second
    to lock the row sees the first's change and is refused."""
    berlin, tokyo, omsk = await api.city(), await api.city("Tokyo"), await api.city("Omsk")
    anna = await api.recruiter("Anna", [berlin["id"]])
    url = f"/api/recruiters/{anna['id']}"
    etag = (await client.get(url, headers=ADMIN)).headers["etag"]

    async def patch(city_ids: list[int]) -> httpx.Response:
        return await client.patch(url, json={"city_ids": city_ids}, headers=if_match(etag))

    responses = await asyncio.gather(patch([tokyo["id"]]), patch([omsk["id"]]))

    assert sorted(r.status_code for r in responses) == [200, 412]
    winner = next(r for r in responses if r.status_code == 200)
    final = await client.get(url, headers=ADMIN)
    assert final.json()["city_ids"] == winner.json()["city_ids"]
    assert tag_of(final) == tag_of(winner)


async def test_openapi_documents_if_match_and_412(client: httpx.AsyncClient) -> None:
    spec: dict[str, Any] = (await client.get("/openapi.json")).json()
    for path, methods in [
        ("/api/recruiters/{recruiter_id}", ("patch", "delete")),
        ("/api/cities/{city_id}", ("patch",)),
        ("/api/templates/{template_id}", ("patch", "delete")),
    ]:
        for method in methods:
            operation = spec["paths"][path][method]
            assert "412" in operation["responses"], (path, method)
            names = {(p["in"], p["name"]) for p in operation["parameters"]}
            assert ("header", "If-Match") in names, (path, method)
    single = spec["paths"]["/api/slots/{slot_id}"]["get"]["responses"]["200"]
    assert "ETag" in single["headers"]
