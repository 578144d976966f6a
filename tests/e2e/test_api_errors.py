"""Auth, roles and the error contract: every failure is a JSON error and changes nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from slotwise.api.app import create_app
from slotwise.settings import get_settings
from tests.e2e.conftest import ADMIN, BOT, Api

Case = tuple[str, str, dict[str, Any] | None]

ADMIN_ONLY: list[Case] = [
    ("POST", "/api/cities", {"name": "X", "timezone": "UTC"}),
    ("PATCH", "/api/cities/1", {"name": "Y"}),
    ("POST", "/api/recruiters", {"name": "R"}),
    ("PATCH", "/api/recruiters/1", {"name": "R2"}),
    ("DELETE", "/api/recruiters/1", None),
    ("POST", "/api/slots", {"recruiter_id": 1, "start_utc": "2030-01-01T09:00:00Z"}),
    (
        "POST",
        "/api/slots/bulk",
        {"slots": [{"recruiter_id": 1, "start_utc": "2030-01-01T09:00:00Z"}]},
    ),
    ("DELETE", "/api/slots/1", None),
    ("POST", "/api/slots/1/approve", None),
    ("POST", "/api/slots/1/cancel", None),
    ("POST", "/api/templates", {"key": "k", "text": "t"}),
    ("PATCH", "/api/templates/1", {"text": "t2"}),
    ("DELETE", "/api/templates/1", None),
    ("GET", "/api/metrics/summary", None),
]
BOT_ALLOWED: list[Case] = [
    ("GET", "/api/cities", None),
    ("GET", "/api/recruiters", None),
    ("GET", "/api/slots", None),
    ("GET", "/api/templates", None),
    ("GET", "/api/candidates/5/slots", None),
    ("POST", "/api/slots/1/book", {"telegram_id": 5, "name": "N"}),
    ("POST", "/api/slots/1/confirm", {"telegram_id": 5}),
    ("POST", "/api/slots/1/release", {"telegram_id": 5}),
    ("POST", "/api/slots/1/reschedule", {"telegram_id": 5, "new_slot_id": 2}),
]


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ONLY + BOT_ALLOWED)
@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic dGVzdA=="}],
    ids=["none", "unknown", "basic"],
)
async def test_every_api_route_needs_a_token(
    untouched_client: httpx.AsyncClient,
    method: str,
    url: str,
    body: Any,
    headers: dict[str, str],
) -> None:
    response = await untouched_client.request(method, url, json=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert "nope" not in response.text


@pytest.mark.parametrize(("method", "url", "body"), ADMIN_ONLY)
async def test_bot_is_forbidden_on_admin_routes(
    client: httpx.AsyncClient, api: Api, method: str, url: str, body: Any
) -> None:
    response = await client.request(method, url, json=body, headers=BOT)
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert (await api.ok("GET", "/api/cities"))["total"] == 0


@pytest.mark.parametrize(("method", "url", "body"), BOT_ALLOWED)
async def test_bot_passes_auth_on_its_routes(
    client: httpx.AsyncClient, method: str, url: str, body: Any
) -> None:
    response = await client.request(method, url, json=body, headers=BOT)
    assert response.status_code in {200, 404}, response.text


async def test_health_needs_no_token(client: httpx.AsyncClient) -> None:
    assert (await client.get("/health/live")).json() == {"status": "ok"}
    ready = await client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json()["database"] == "ok"
    assert ready.json()["cache"] in {"ok", "disabled", "degraded"}


BAD_REQUESTS: list[tuple[str, str, Any, str]] = [
    ("POST", "/api/cities", {"name": "X", "timezone": "UTC", "extra": 1}, "extra"),
    ("POST", "/api/cities", {"name": "X", "timezone": "Mars/Olympus"}, "timezone"),
    ("POST", "/api/cities", {"name": "   ", "timezone": "UTC"}, "name"),
    ("POST", "/api/cities", {"name": "a\u0000b", "timezone": "UTC"}, "name"),
    ("POST", "/api/cities", {"name": "x" * 121, "timezone": "UTC"}, "name"),
    ("PATCH", "/api/cities/1", {"name": None}, "null"),
    ("POST", "/api/recruiters", {"name": "R", "meeting_url": "ftp://x"}, "meeting_url"),
    ("POST", "/api/recruiters", {"name": "R", "telegram_chat_id": 2**63}, "telegram_chat_id"),
    ("POST", "/api/slots", {"recruiter_id": 1, "start_utc": "2030-01-01T09:00:00"}, "timezone"),
    (
        "POST",
        "/api/slots",
        {"recruiter_id": 2**64, "start_utc": "2030-01-01T09:00:00Z"},
        "recruiter_id",
    ),
    ("POST", "/api/slots/1/book", {"telegram_id": 5}, "name"),
    (
        "POST",
        "/api/slots/1/book",
        {"telegram_id": 5, "name": "N", "timezone": "Nowhere"},
        "timezone",
    ),
    ("POST", "/api/slots/1/book", {"telegram_id": 2**63, "name": "N"}, "telegram_id"),
    ("POST", "/api/slots/1/book", {"telegram_id": "abc", "name": "N"}, "telegram_id"),
    ("POST", "/api/slots/1/confirm", [1, 2], "JSON object"),
    ("GET", "/api/slots?limit=0", None, "limit"),
    ("GET", "/api/slots?limit=501", None, "limit"),
    ("GET", "/api/slots?offset=-1", None, "offset"),
    ("GET", "/api/slots?start_from=2030-01-01T00:00:00", None, "timezone"),
    ("GET", "/api/slots?recruiter_id=99999999999999999999", None, "recruiter_id"),
    ("GET", "/api/slots/99999999999999999999", None, "slot_id"),
    ("GET", "/api/slots/0", None, "slot_id"),
    ("GET", "/api/slots/abc", None, "slot_id"),
    ("GET", "/api/recruiters?active=maybe", None, "active"),
    ("GET", "/api/templates/resolve", None, "key"),
    ("GET", "/api/candidates/-5/slots", None, "telegram_id"),
]


@pytest.mark.parametrize(("method", "url", "body", "mentions"), BAD_REQUESTS)
async def test_bad_input_is_a_422_that_says_what_is_wrong(
    client: httpx.AsyncClient, api: Api, method: str, url: str, body: Any, mentions: str
) -> None:
    response = await client.request(method, url, json=body, headers=ADMIN)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert mentions in error["message"]
    assert (await api.ok("GET", "/api/cities"))["total"] == 0
    assert (await api.ok("GET", "/api/slots"))["total"] == 0


@pytest.mark.parametrize(
    ("content", "content_type", "mentions"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"hello", "text/plain", "JSON object"),
        (b"", "application/json", "body"),
        (b"\xff\xfe", "application/json", "JSON"),
    ],
)
async def test_non_json_bodies(
    client: httpx.AsyncClient, api: Api, content: bytes, content_type: str, mentions: str
) -> None:
    headers = {**ADMIN, "Content-Type": content_type}
    response = await client.post("/api/cities", content=content, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
    assert mentions in response.json()["error"]["message"]
    assert (await api.ok("GET", "/api/cities"))["total"] == 0


async def test_unknown_route_and_method_are_json(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/nothing-here", headers=ADMIN)
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"
    wrong = await client.put("/api/cities", headers=ADMIN)
    assert wrong.status_code == 405
    assert wrong.json()["error"]["code"] == "method_not_allowed"


@pytest.fixture
async def down_app(engine: Any, tmp_path: Any) -> Any:
    """The app against a database that cannot be opened (a file in a missing folder)."""
    settings = get_settings().model_copy(
        update={"database_url": f"sqlite+aiosqlite:///{tmp_path}/missing/dir/x.db"}
    )
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


async def test_database_outage_is_503_not_a_stack_trace(down_app: FastAPI) -> None:
    transport = httpx.ASGITransport(app=down_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        ready = await client.get("/health/ready")
        assert ready.status_code == 503
        assert ready.json()["error"]["code"] == "unavailable"
        assert ready.json()["error"]["details"]["database"] == "down"
        for method, url, body in [
            ("GET", "/api/slots", None),
            ("GET", "/api/recruiters/1", None),
            ("POST", "/api/cities", {"name": "X", "timezone": "UTC"}),
            ("POST", "/api/slots/1/book", {"telegram_id": 5, "name": "N"}),
        ]:
            response = await client.request(method, url, json=body, headers=ADMIN)
            assert response.status_code == 503, response.text
            assert response.json()["error"]["code"] == "unavailable"
            assert "Traceback" not in response.text
            assert "sqlite" not in response.text.lower()
        assert (await client.get("/health/live")).status_code == 200


async def test_unexpected_bug_is_a_json_500_without_internals(engine: Any) -> None:
    application = create_app()

    @application.get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=application, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.get("/boom")
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "internal_error"
    assert "secret" not in response.text


def test_openapi_declares_bearer_auth_and_error_shapes(engine: Any) -> None:
    schema = create_app().openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    book = schema["paths"]["/api/slots/{slot_id}/book"]["post"]
    assert book["security"] == [{"HTTPBearer": []}]
    assert {"200", "401", "403", "404", "409", "422", "503"} <= set(book["responses"])
    ref = book["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    assert ref.endswith("/ErrorResponse")
    assert "security" not in schema["paths"]["/health/ready"]["get"]
