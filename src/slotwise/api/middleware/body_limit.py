"""Request body size limits, enforced before routing and parsing (by ``middleware.edge``).

Why there and not in the routes: FastAPI reads (and buffers) the whole body before any
dependency runs, so a route-level check comes after the memory is spent. The edge layer
answers a declared ``Content-Length`` over the limit at once, without reading a byte, and
counts the bytes of a streamed (chunked) body as they arrive, stopping at the limit.

An over-limit body from a caller without a known bearer token gets the 401 any anonymous
``/api`` request gets (auth first, and nothing about the limits leaks); a known caller gets
413 ``payload_too_large``. Either way the body is never read past the limit.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Scope

from slotwise.api.errors import error_response

#: ``(method, path)`` -> the limit of that route, when it differs from the default.
RouteLimits = dict[tuple[str, str], int]
#: Whether the request's headers carry a known bearer token (no I/O, constant time).
Authenticated = Callable[[Scope], bool]

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def content_length(scope: Scope) -> int | None:
    """The declared ``Content-Length``, if any."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server rejects a malformed length before we see it
    return None


def refusal_exception(authenticated: Authenticated, scope: Scope, limit: int) -> HTTPException:
    """Raised from ``receive`` once a streamed body passes the limit: the app's HTTP error
    handler renders it (FastAPI re-raises an ``HTTPException`` met while reading the body)."""
    if not authenticated(scope):
        return HTTPException(401, "missing or unknown bearer token", _UNAUTHORIZED_HEADERS)
    return HTTPException(413, _message(limit))


def refusal(authenticated: Authenticated, scope: Scope, limit: int) -> ASGIApp:
    """The answer to a declared length over the limit (sent without reading the body)."""
    if not authenticated(scope):
        return error_response(
            401, "unauthorized", "missing or unknown bearer token", None, _UNAUTHORIZED_HEADERS
        )
    return error_response(413, "payload_too_large", _message(limit))


def _message(limit: int) -> str:
    return f"the request body is larger than this route's limit of {limit} bytes"
