"""The JSON error shape and the mapping from every kind of failure to it.

Clients get ``{"error": {"code", "message", "details"}}`` for every error: our own
(``ApiError``), the data layer's ``Error`` values, FastAPI's request validation, Starlette's
HTTP errors, and anything unexpected (a database outage becomes 503 ``unavailable``, a bug a
500 without internals). Nothing a client sends may produce a stack trace.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import SQLAlchemyError, StatementError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from slotwise.result import (
    ConflictError,
    DatabaseError,
    Error,
    Failure,
    InvalidTransitionError,
    NotFoundError,
    Success,
    ValidationError,
)
from slotwise.services.common import PreconditionFailedError

T = TypeVar("T")

log = logging.getLogger(__name__)

# Exceptions that mean "the database (or the network to it) is down", not "we have a bug".
OUTAGE_EXCEPTIONS: tuple[type[BaseException], ...] = (SQLAlchemyError, OSError, TimeoutError)

_HTTP_CODES: dict[int, str] = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    503: "unavailable",
}


_BODY_PARSE_ERROR = "There was an error parsing the body"


class ErrorInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str
    message: str
    details: Any = None


class ErrorResponse(BaseModel):
    """The body of every error response."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorInfo


class ApiError(Exception):
    """An error meant for the client: status, stable code, human message, optional details."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.headers = headers


def error_response(
    status: int,
    code: str,
    message: str,
    details: Any = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": {"code": code, "message": message, "details": jsonable_encoder(details)}}
    return JSONResponse(body, status_code=status, headers=dict(headers) if headers else None)


def _plain(value: Any) -> Any:
    """A JSON-safe rendering of an id or similar (never an arbitrary object's repr)."""
    return value if isinstance(value, int | str | float | bool) or value is None else str(value)


def from_error(error: Error) -> ApiError:
    """The HTTP form of a data-layer error value."""
    match error:
        case InvalidTransitionError():
            details: Any = {"action": error.action, "from_status": error.from_status}
            return ApiError(409, "invalid_transition", error.message, details)
        case PreconditionFailedError():
            details = {"entity": error.entity_type, "header": "If-Match"}
            return ApiError(412, "precondition_failed", error.message, details)
        case ConflictError():
            details = {"entity": error.entity_type, "field": error.conflicting_field}
            return ApiError(409, "conflict", error.message, details)
        case NotFoundError():
            details = {"entity": error.entity_type, "id": _plain(error.entity_id)}
            return ApiError(404, "not_found", str(error), details)
        case ValidationError():
            details = [{"field": error.field, "message": error.message}]
            return ApiError(422, "validation_error", str(error), details)
        case DatabaseError():
            cause = error.original_exception
            log.warning(
                "database unavailable in %s: %s",
                error.operation,
                outage_cause(cause) if cause is not None else error.message,
            )
            return unavailable()
    return ApiError(500, "internal_error", "internal server error")  # pragma: no cover


def unavailable() -> ApiError:
    return ApiError(
        503,
        "unavailable",
        "the database is unavailable; retry later",
        None,
        {"Retry-After": "1"},
    )


def _loc(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_details(errors: Sequence[Any]) -> list[dict[str, Any]]:
    return [
        {
            "loc": [_plain(p) for p in err.get("loc", ())],
            "message": err.get("msg", ""),
            "type": err.get("type", ""),
        }
        for err in errors
    ]


def _validation_message(errors: Sequence[Any]) -> str:
    if any(err.get("type") == "json_invalid" for err in errors):
        return "the request body is not valid JSON"
    if any(
        err.get("type") == "model_attributes_type" and tuple(err.get("loc", ())) == ("body",)
        for err in errors
    ):
        return "the request body must be a JSON object (Content-Type: application/json)"
    parts = [f"{_loc(err.get('loc', ()))}: {err.get('msg', '')}" for err in errors[:5]]
    more = f" (and {len(errors) - 5} more)" if len(errors) > 5 else ""
    return "invalid request: " + "; ".join(parts) + more


async def _api_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status, exc.code, exc.message, exc.details, exc.headers)


async def _request_validation(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = list(exc.errors())
    return error_response(
        422, "validation_error", _validation_message(errors), _validation_details(errors)
    )


async def _http_exception(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.detail == _BODY_PARSE_ERROR:
        # FastAPI's answer to a body it cannot even decode (e.g. invalid UTF-8): the same
        # 422 as any other malformed body, so clients see one code for it.
        return error_response(
            422, "validation_error", "the request body is not valid JSON (or not UTF-8)"
        )
    code = _HTTP_CODES.get(exc.status_code, f"http_{exc.status_code}")
    message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
    if exc.status_code == 404 and message == "Not Found":
        message = "no such resource"
    return error_response(exc.status_code, code, message, None, exc.headers)


class CatchAllMiddleware:
    """Turns an exception nothing else handled into a JSON 503 (outage) or 500 (bug).

    A pure ASGI middleware rather than an ``Exception`` handler: Starlette re-raises after
    running such a handler, which would make every outage look like a crash.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            response = _unexpected(scope, exc)
            await response(scope, receive, send)


#: Where a driver's message starts quoting a statement's parameter (asyncpg: "invalid input
#: for query argument $1: <value>"); the rest of such a message is not logged.
_PARAMETER_QUOTE = re.compile(r"(query argument \$\d+|parameters?)\s*[:=].*", re.I | re.S)
_MAX_CAUSE_LENGTH = 300


def outage_cause(exc: BaseException) -> str:
    """``Type: message`` of what made the database unavailable, safe to log.

    SQLAlchemy's own text of a statement error carries the SQL and its parameters, so the
    driver's original exception is described instead, on one line, cut where a driver would
    quote a parameter value; tokens are masked by the log formatter as everywhere else.
    """
    names = [type(exc).__name__]
    cause: BaseException = exc
    if isinstance(exc, StatementError) and exc.orig is not None:
        cause = exc.orig
        names.append(type(cause).__name__)
    message = str(cause).strip().splitlines()[0] if str(cause).strip() else ""
    message = _PARAMETER_QUOTE.sub(r"\1: [not logged]", message)[:_MAX_CAUSE_LENGTH]
    return f"{' <- '.join(names)}: {message}" if message else " <- ".join(names)


def _unexpected(scope: Scope, exc: Exception) -> JSONResponse:
    where = f"{scope.get('method', '?')} {scope.get('path', '?')}"
    if isinstance(exc, OUTAGE_EXCEPTIONS):
        log.warning("database unavailable during %s: %s", where, outage_cause(exc))
        err = unavailable()
        return error_response(err.status, err.code, err.message, None, err.headers)
    log.error("unhandled error during %s", where, exc_info=exc)
    return error_response(500, "internal_error", "internal server error")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _request_validation)
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_middleware(CatchAllMiddleware)


#: OpenAPI ``responses=`` entries for the error codes a route can return.
def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    descriptions = {
        401: "missing or unknown bearer token (`unauthorized`)",
        403: "the token's role may not do this (`forbidden`)",
        404: "no such entity (`not_found`)",
        409: "a conflicting state (`conflict` or `invalid_transition`)",
        412: "the resource's ETag is not one that If-Match names (`precondition_failed`)",
        413: "the request body is over the route's size limit (`payload_too_large`)",
        422: "the request is invalid (`validation_error`)",
        503: "the database is unavailable (`unavailable`)",
    }
    return {
        s: {"model": ErrorResponse, "description": descriptions.get(s, "error")} for s in statuses
    }


def unwrap(result: Success[T] | Failure[Error]) -> T:
    """The value of a successful use case, or the ``ApiError`` its failure maps to."""
    if isinstance(result, Failure):
        raise from_error(result.error)
    return result.value
