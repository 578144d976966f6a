"""Candidates bound to their Telegram identity: with SLOTWISE_TELEGRAM_BOT_TOKEN set, a bot
token acts only for the user of valid ``X-Telegram-Init-Data``; bot listings hide candidates."""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from slotwise.api.app import create_app
from slotwise.api.telegram import sign_init_data
from slotwise.settings import get_settings
from tests.e2e.conftest import ADMIN, BOT, Api

TELEGRAM_BOT_TOKEN = "7654321:e2e-telegram-bot-token"
CANDIDATE = 111
OTHER = 222


def init_data(user_id: int, auth_date: float | None = None, token: str = TELEGRAM_BOT_TOKEN) -> str:
    """Init data as the Telegram client hands it to the Mini App."""
    when = int(time.time() if auth_date is None else auth_date)
    user = json.dumps({"id": user_id, "first_name": "Cand", "username": "cand"})
    return sign_init_data({"query_id": "AAE1", "user": user, "auth_date": str(when)}, token)


def as_user(user_id: int, **kwargs: Any) -> dict[str, str]:
    return {**BOT, "X-Telegram-Init-Data": init_data(user_id, **kwargs)}


@pytest.fixture
async def tg(engine: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = get_settings().model_copy(
        update={"slotwise_telegram_bot_token": SecretStr(TELEGRAM_BOT_TOKEN)}
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


def forged() -> str:
    """Init data signed for OTHER, its user then swapped for CANDIDATE (the hash kept)."""
    fields = dict(parse_qsl(init_data(OTHER)))
    fields["user"] = json.dumps({"id": CANDIDATE, "first_name": "Cand"})
    return urlencode(fields)


REFUSALS = {
    "missing": ({}, "required"),
    "forged": ({"X-Telegram-Init-Data": forged()}, "signature"),
    "other-bot": ({"X-Telegram-Init-Data": init_data(CANDIDATE, token="1:other")}, "signature"),
    "expired": (
        {"X-Telegram-Init-Data": init_data(CANDIDATE, auth_date=time.time() - 86_400 - 60)},
        "expired",
    ),
    "other-user": ({"X-Telegram-Init-Data": init_data(OTHER)}, "only for itself"),
    "garbage": ({"X-Telegram-Init-Data": "%%%"}, "X-Telegram-Init-Data"),
}


async def _book_setup(tg: httpx.AsyncClient) -> tuple[Api, int, int]:
    api = Api(tg)
    recruiter = await api.recruiter()
    other_recruiter = await api.recruiter(name="Boris")
    slot = await api.slot(recruiter["id"])
    spare = await api.slot(other_recruiter["id"], "2030-01-08T09:00:00Z")
    return api, slot["id"], spare["id"]


@pytest.mark.parametrize("case", sorted(REFUSALS))
async def test_bot_without_valid_init_data_for_the_candidate_is_403(
    tg: httpx.AsyncClient, case: str
) -> None:
    extra, mentions = REFUSALS[case]
    api, slot_id, spare_id = await _book_setup(tg)
    headers = {**BOT, **extra}
    body = {"telegram_id": CANDIDATE, "name": "Mallory"}
    book = await tg.post(f"/api/slots/{slot_id}/book", json=body, headers=headers)
    assert book.status_code == 403, book.text
    assert book.json()["error"]["code"] == "forbidden"
    assert mentions in book.json()["error"]["message"]
    assert (await api.ok("GET", f"/api/slots/{slot_id}"))["status"] == "free"

    await api.book(slot_id, telegram_id=CANDIDATE, name="Cand")  # as admin: no init data needed
    await api.ok("POST", f"/api/slots/{slot_id}/approve")
    candidate = {"telegram_id": CANDIDATE}
    for action, action_body in [
        ("confirm", candidate),
        ("release", candidate),
        ("reschedule", {**candidate, "new_slot_id": spare_id}),
    ]:
        response = await tg.post(
            f"/api/slots/{slot_id}/{action}", json=action_body, headers=headers
        )
        assert response.status_code == 403, (action, response.text)
        assert response.json()["error"]["code"] == "forbidden"
    mine = await tg.get(f"/api/candidates/{CANDIDATE}/slots", headers=headers)
    assert mine.status_code == 403, mine.text
    after = await api.ok("GET", f"/api/slots/{slot_id}")
    assert after["status"] == "booked" and after["candidate"]["name"] == "Cand"


async def test_bot_with_valid_init_data_acts_for_its_user(tg: httpx.AsyncClient) -> None:
    api, slot_id, spare_id = await _book_setup(tg)
    me = as_user(CANDIDATE)
    booked = await tg.post(
        f"/api/slots/{slot_id}/book", json={"telegram_id": CANDIDATE, "name": "Cand"}, headers=me
    )
    assert booked.status_code == 200, booked.text
    assert booked.json()["candidate"]["telegram_id"] == CANDIDATE
    await api.ok("POST", f"/api/slots/{slot_id}/approve")
    confirmed = await tg.post(
        f"/api/slots/{slot_id}/confirm", json={"telegram_id": CANDIDATE}, headers=me
    )
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "confirmed_by_candidate"
    moved = await tg.post(
        f"/api/slots/{slot_id}/reschedule",
        json={"telegram_id": CANDIDATE, "new_slot_id": spare_id},
        headers=me,
    )
    assert moved.status_code == 200, moved.text
    mine = await tg.get(f"/api/candidates/{CANDIDATE}/slots", headers=me)
    assert mine.status_code == 200, mine.text
    [own] = mine.json()["items"]
    assert own["id"] == spare_id and own["candidate"]["telegram_id"] == CANDIDATE  # their own
    released = await tg.post(
        f"/api/slots/{spare_id}/release", json={"telegram_id": CANDIDATE}, headers=me
    )
    assert released.status_code == 200 and released.json()["status"] == "free"


async def test_admin_needs_no_init_data(tg: httpx.AsyncClient) -> None:
    api, slot_id, _ = await _book_setup(tg)
    await api.book(slot_id, telegram_id=OTHER)
    response = await tg.get(f"/api/candidates/{OTHER}/slots", headers=ADMIN)
    assert response.status_code == 200 and response.json()["total"] == 1


async def test_without_the_telegram_token_the_bot_needs_no_init_data(
    client: httpx.AsyncClient, api: Api
) -> None:
    recruiter = await api.recruiter()
    slot = await api.slot(recruiter["id"])
    body = {"telegram_id": CANDIDATE, "name": "Cand"}
    response = await client.post(f"/api/slots/{slot['id']}/book", json=body, headers=BOT)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("telegram", [False, True], ids=["plain", "telegram"])
async def test_bot_listings_and_single_slots_hide_candidates(
    client: httpx.AsyncClient, tg: httpx.AsyncClient, telegram: bool
) -> None:
    web = tg if telegram else client
    api = Api(web)
    recruiter = await api.recruiter()
    booked = await api.slot(recruiter["id"])
    free = await api.slot(recruiter["id"], "2030-01-08T09:00:00Z")
    await api.book(booked["id"], telegram_id=CANDIDATE, name="Secret Name")
    for url in ("/api/slots", f"/api/slots?recruiter_id={recruiter['id']}&status=pending"):
        for _ in range(2):  # a miss, then the cached page
            page = await web.get(url, headers=BOT)
            assert page.status_code == 200, page.text
            assert "Secret Name" not in page.text and str(CANDIDATE) not in page.text
            assert all(s["candidate"] is None for s in page.json()["items"])
            assert "pending" in {s["status"] for s in page.json()["items"]}
        admin_page = await web.get(url, headers=ADMIN)
        assert "Secret Name" in admin_page.text  # the admin view is cached separately
    single = await web.get(f"/api/slots/{booked['id']}", headers=BOT)
    assert single.json()["status"] == "pending" and single.json()["candidate"] is None
    assert (await web.get(f"/api/slots/{free['id']}", headers=BOT)).json()["candidate"] is None
    admin_single = await web.get(f"/api/slots/{booked['id']}", headers=ADMIN)
    assert admin_single.json()["candidate"]["name"] == "Secret Name"
    headers = as_user(CANDIDATE) if telegram else BOT
    mine = await web.get(f"/api/candidates/{CANDIDATE}/slots", headers=headers)
    assert mine.json()["items"][0]["candidate"]["name"] == "Secret Name"


def test_openapi_documents_the_init_data_header_and_the_hidden_candidate(engine: Any) -> None:
    schema = create_app().openapi()
    for path in ("/api/slots/{slot_id}/book", "/api/slots/{slot_id}/release"):
        params = schema["paths"][path]["post"]["parameters"]
        header = next(p for p in params if p["in"] == "header")
        assert header["name"] == "X-Telegram-Init-Data" and not header.get("required", False)
    slot = schema["components"]["schemas"]["SlotOut"]["properties"]["candidate"]
    assert {"type": "null"} in slot["anyOf"] and "bot token" in slot["description"]
