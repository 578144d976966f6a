"""The hot cached GETs answered in pure ASGI, before FastAPI: ``GET /api/slots`` and
``GET /api/recruiters/{id}``.

Why: a cached hit spent most of its time in FastAPI's machinery (dependency resolution,
Request plumbing, query validation, a session and a unit of work that were never used), not
in the cache. Here a hit is: match the path by string, check the bearer token, parse the
query's canonical spelling, one cache lookup, and the stored bytes out. From the in-process
tier the lookup is a dict access and the answer (body and headers) is the one rendered the
first time, kept with the tier's entry.

The rule that keeps it honest: it answers only what it can answer exactly as the FastAPI
route would, byte for byte (``tests/e2e/test_fast_path_equivalence.py`` compares the two). On
anything else (a miss, no or an unknown token, a query it does not read itself, a request
body, a conditional request, an undecodable entry, a root path) it returns False and FastAPI
serves the request as if this module did not exist. A miss therefore costs one extra lookup;
a hit costs no session, no unit of work, no repository.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute
from starlette.types import Scope, Send

from slotwise.api.auth import Role, TokenTable, bearer_token
from slotwise.api.cached_pages import slots_page_key
from slotwise.api.etag import etag_of
from slotwise.api.fast_query import canonical_int, slot_list_query
from slotwise.api.middleware.edge import Header
from slotwise.api.render import render_json
from slotwise.cache import codec as cache_codec
from slotwise.cache.client import get_cache
from slotwise.cache.keys import check_key
from slotwise.cache.layout import Miss
from slotwise.observability.metrics import L1_TIER, REDIS_TIER, MetricsCollector, get_metrics
from slotwise.repositories.cache_entities import RecruiterDTO
from slotwise.repositories.cache_keys import CacheKeys

SLOTS_PATH = "/api/slots"
RECRUITER_TEMPLATE = "/api/recruiters/{recruiter_id}"
_RECRUITER_PREFIX = "/api/recruiters/"
_JSON = b"application/json"

#: A response ready to send: the body and every header, in Starlette's order.
Answer = tuple[bytes, tuple[Header, ...]]
#: Where a tier entry keeps the fast path's rendered answer.
ANSWER = "fast_path.answer"


async def cached_answer(
    key: str, render: Callable[[Any], Answer | None], metrics: MetricsCollector | None = None
) -> Answer | None:
    """The answer rendered from the cache's entry for ``key``: from the in-process tier
    (rendered once per entry and kept with it), else from Redis (no lock on a miss:
    FastAPI's read-through takes it when the request falls through); None on any miss.
    Hits and misses are counted in ``metrics`` (the process's collector by default)."""
    cache = get_cache()
    if cache is None:
        return None
    metrics = metrics or get_metrics()
    key = check_key(key)
    entry = cache.local_hit(key)
    if entry is not None:
        found = entry.derived.get(ANSWER)
        if found is None:
            found = render(cache_codec.decode(entry.payload))
            if found is None:
                return None
            assert cache.tier is not None
            cache.tier.local.derive(key, entry, ANSWER, found, len(found[0]) + 128)
        metrics.record_cache_hit(L1_TIER)
        return found
    data = await cache.lookup(key, lock=False)
    if isinstance(data, Miss):
        return None
    found = render(cache_codec.decode(data))
    if found is None:
        return None
    if cache.tier is not None:
        metrics.record_cache_miss(L1_TIER)
    metrics.record_cache_hit(REDIS_TIER)
    return found


def _json_answer(body: bytes, *extra: tuple[bytes, bytes]) -> Answer:
    length = (b"content-length", str(len(body)).encode("latin-1"))
    return body, (*extra, length, (b"content-type", _JSON))


def page_answer(payload: Any) -> Answer | None:
    """``GET /api/slots``'s answer from its cached page (the JSON text itself)."""
    return _json_answer(payload.encode()) if isinstance(payload, str) else None


def recruiter_answer(dto: Any) -> Answer | None:
    """``GET /api/recruiters/{id}``'s answer from the cached entity, with its ETag."""
    body = recruiter_body(dto)
    if body is None:
        return None
    return _json_answer(body, (b"etag", etag_of(body).encode("latin-1")))


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope["headers"]:
        if key == name:
            return bytes(value)
    return None


#: Request headers that can change a GET's answer (conditional requests): left to FastAPI.
_CONDITIONAL = frozenset({b"if-none-match", b"if-match", b"if-modified-since", b"if-range"})


def _not_plain(scope: Scope) -> bool:
    """A request body, or a conditional request: the fast path does not answer those."""
    for key, value in scope["headers"]:
        if key == b"transfer-encoding" or (key == b"content-length" and value != b"0"):
            return True
        if key in _CONDITIONAL:
            return True
    return False


#: Query strings up to this long have their key remembered (bounds the memory it takes).
_REMEMBERED_QUERY = 256


def slots_key(query_string: bytes, admin: bool) -> str | None:
    """The cache key of the page a ``GET /api/slots`` query string asks for (None: not a
    canonical query). Remembered for short queries: a hot page's query is parsed and its
    key escaped once."""
    if len(query_string) <= _REMEMBERED_QUERY:
        return _remembered_slots_key(query_string, admin)
    return _slots_key(query_string, admin)


def _slots_key(query_string: bytes, admin: bool) -> str | None:
    query = slot_list_query(query_string)
    if query is None:
        return None
    return slots_page_key(query.filters, query.limit, query.offset, admin)


_remembered_slots_key = lru_cache(maxsize=4096)(_slots_key)


def recruiter_body(dto: object) -> bytes | None:
    """``GET /api/recruiters/{id}``'s body from the cached entity (``render.recruiter_dict``'s
    fields, in its order), or None if the entry was stored without its cities."""
    if not isinstance(dto, RecruiterDTO) or not isinstance(dto.cities, list):
        return None
    return render_json(
        {
            "id": dto.id,
            "name": dto.name,
            "telegram_chat_id": dto.telegram_chat_id,
            "timezone": dto.timezone,
            "active": dto.active,
            "meeting_url": dto.meeting_url,
            "city_ids": sorted(c.id for c in dto.cities),
        }
    )


class FastPath:
    """``await fast_path(scope, send, extra_header)``: the status sent (200) when the request
    was answered here, with ``extra_header`` (the edge's request id) after the answer's own;
    0 when it was left to FastAPI."""

    def __init__(self, tokens: TokenTable, routes: list[BaseRoute]) -> None:
        self.tokens = tokens
        self.metrics = get_metrics()  # the process's collector (never replaced), looked up once
        self.slots_route = _route(routes, SLOTS_PATH)
        self.recruiter_route = _route(routes, RECRUITER_TEMPLATE)
        #: Requests answered here (tests check the fast path really answers).
        self.answered = 0

    async def __call__(self, scope: Scope, send: Send, extra: Header | None = None) -> int:
        if scope["method"] != "GET" or scope.get("root_path") or _not_plain(scope):
            return 0
        path: str = scope["path"]
        if path == SLOTS_PATH:
            found = await self._slots(scope)
        elif path.startswith(_RECRUITER_PREFIX):
            found = await self._recruiter(scope, path[len(_RECRUITER_PREFIX) :])
        else:
            return 0
        if found is None:
            return 0
        body, headers = found
        self.answered += 1
        sent = [*headers, extra] if extra is not None else list(headers)
        await send({"type": "http.response.start", "status": 200, "headers": sent})
        await send({"type": "http.response.body", "body": body})
        return 200

    def _role(self, scope: Scope) -> Role | None:
        header = _header(scope, b"authorization")
        token = bearer_token(header.decode("latin-1")) if header is not None else None
        return self.tokens.role_for(token) if token is not None else None

    async def _slots(self, scope: Scope) -> Answer | None:
        role = self._role(scope)
        if role is None or self.slots_route is None:
            return None
        key = slots_key(scope["query_string"], role is Role.ADMIN)
        if key is None:
            return None
        found = await cached_answer(key, page_answer, self.metrics)
        if found is not None:
            _routed(scope, self.slots_route, {})
        return found

    async def _recruiter(self, scope: Scope, raw_id: str) -> Answer | None:
        recruiter_id = canonical_int(raw_id, 1)
        if recruiter_id is None or self.recruiter_route is None or self._role(scope) is None:
            return None
        found = await cached_answer(
            CacheKeys.recruiter(recruiter_id), recruiter_answer, self.metrics
        )
        if found is not None:
            _routed(scope, self.recruiter_route, {"recruiter_id": raw_id})
        return found


def _routed(scope: Scope, route: APIRoute, params: dict[str, str]) -> None:
    """What Starlette's router records in the scope for the route the fast path stands in
    for (the route template labels metrics and N+1 reports). The answer itself is what
    ``Response(body, media_type="application/json", headers=...)`` sends: given headers
    first, as Starlette orders them."""
    scope["route"] = route
    scope["endpoint"] = route.endpoint
    scope["path_params"] = params


def _route(routes: list[BaseRoute], path: str) -> APIRoute | None:
    """The FastAPI route the fast path stands in for (None: the app does not serve it)."""
    for route in routes:
        if isinstance(route, APIRoute) and route.path == path and "GET" in (route.methods or ()):
            return route
    return None
