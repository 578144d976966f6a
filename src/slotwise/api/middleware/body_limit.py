"""Request body size limits, enforced before routing and parsing (pure ASGI).

Why here and not in the routes: FastAPI reads (and buffers) the whole body before any
dependency runs, so a route-level check comes after the memory is spent. This middleware
answers a declared ``Content-Length`` over the limit at once, without reading a byte, and
counts the bytes of a streamed (chunked) body as they arrive, stopping at the limit.

An over-limit body from a caller without a known bearer token gets the 401 any anonymous
``/api`` request gets (auth first, and nothing about the limits leaks); a known caller gets
413 ``payload_too_large``. Either way the body is never read past the limit.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotwise.api.errors import error_response

#: ``(method, path)`` -> the limit of that route, when it differs from the default.
RouteLimits = dict[tuple[str, str], int]
#: Whether the request's headers carry a known bearer token (no I/O, constant time).
Authenticated = Callable[[Scope], bool]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length before we see it
    return None


class BodyLimitMiddleware:
    """Refuses bodies over ``default`` bytes (or the route's own limit in ``routes``)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        routes: RouteLimits,
        authenticated: Authenticated,
    ) -> None:
        self.app = app
        self.default = default
        self.routes = routes
        self.authenticated = authenticated

    def limit_for(self, scope: Scope) -> int:
        return self.routes.get((scope["method"], scope["path"]), self.default)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope)
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await self._refusal(scope, limit)(scope, receive, send)
            return
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise self._refusal_exception(scope, limit)
            return message

        await self.app(scope, limited_receive, send)

    def _refusal_exception(self, scope: Scope, limit: int) -> HTTPException:
        """Raised from ``receive``: the app's HTTP error handler renders it (FastAPI re-raises
        an ``HTTPException`` met while reading the body)."""
        if not self.authenticated(scope):
            return HTTPException(401, "missing or unknown bearer token", _UNAUTHORIZED_HEADERS)
        return HTTPException(413, _message(limit))

    def _refusal(self, scope: Scope, limit: int) -> ASGIApp:
        if not self.authenticated(scope):
            return error_response(
                401, "unauthorized", "missing or unknown bearer token", None, _UNAUTHORIZED_HEADERS
            )
        return error_response(413, "payload_too_large", _message(limit))


def _message(limit: int) -> str:
    return f"the request body is larger than this route's limit of {limit} bytes"
