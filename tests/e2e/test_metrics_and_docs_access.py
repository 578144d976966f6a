"""/metrics behind SLOTWISE_METRICS_TOKEN, and /docs + /redoc served with the app's own assets
(no CDN: they work on an offline machine)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from pydantic import SecretStr

from slotwise.api.app import create_app
from slotwise.observability import prometheus
from slotwise.settings import Settings, get_settings
from tests.e2e.conftest import ADMIN

METRICS_TOKEN = "e2e-metrics-scrape-token"


@pytest.fixture
async def guarded(engine: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = get_settings().model_copy(
        update={"slotwise_metrics_token": SecretStr(METRICS_TOKEN)}
    )
    application: FastAPI = create_app(settings)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
            yield c


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer wrong"}, ADMIN, {"Authorization": f"Basic {METRICS_TOKEN}"}],
    ids=["none", "wrong", "admin-token", "basic"],
)
async def test_metrics_needs_its_token_when_set(
    guarded: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    response = await guarded.get("/metrics", headers=headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert response.headers["www-authenticate"] == "Bearer"
    assert METRICS_TOKEN not in response.text


async def test_metrics_with_its_token(guarded: httpx.AsyncClient) -> None:
    response = await guarded.get("/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    assert response.status_code == 200
    assert response.headers["content-type"] == prometheus.CONTENT_TYPE
    assert "slotwise_http_requests_total" in response.text


async def test_metrics_is_open_without_the_setting(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert "slotwise_http_requests_total" in response.text


def test_the_new_secrets_are_masked(engine: Any) -> None:
    settings = Settings(
        slotwise_metrics_token=METRICS_TOKEN, slotwise_telegram_bot_token="1:tg-secret-token"
    )
    assert METRICS_TOKEN not in repr(settings) and "tg-secret-token" not in repr(settings)
    assert {METRICS_TOKEN, "1:tg-secret-token"} <= set(settings.secret_values())
    assert Settings(slotwise_metrics_token="").slotwise_metrics_token is None


ASSET = re.compile(r"""(?:src|href|url)\s*[:=]\s*['"]([^'"]+)['"]""")


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("/docs", {"swagger-ui-bundle.js", "swagger-ui.css", "favicon.png"}),
        ("/redoc", {"redoc.standalone.js", "favicon.png"}),
    ],
)
async def test_docs_pages_load_only_assets_the_app_serves(
    client: httpx.AsyncClient, page: str, assets: set[str]
) -> None:
    response = await client.get(page)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    html = response.text
    assert "http://" not in html and "https://" not in html and "//cdn" not in html
    urls = set(ASSET.findall(html))
    assert {u.rsplit("/", 1)[-1] for u in urls} >= assets | {"openapi.json"}
    for url in urls:
        assert url.startswith("/"), url
        served = await client.get(url)
        assert served.status_code == 200, url
        assert len(served.content) > 100, url
        if url.endswith(".js"):
            assert "javascript" in served.headers["content-type"]


async def test_docs_routes_stay_out_of_the_schema(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert not [p for p in paths if p.startswith(("/docs", "/redoc"))]
    assert "401" in paths["/metrics"]["get"]["responses"]
