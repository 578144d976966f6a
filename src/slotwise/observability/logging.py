"""Structured logs: one JSON object per line, the request id in every line of a request.

``configure_logging()`` routes the standard library's logging (ours, uvicorn's, SQLAlchemy's)
and structlog's through one formatter, so every line has the same shape: ``timestamp``,
``level``, ``logger``, ``event``, ``request_id`` (from asgi-correlation-id, when inside a
request) and any ``extra`` fields. Secrets never get out: values of keys that look like
credentials, ``Bearer ...`` strings and registered token values are masked in every line.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterable, MutableMapping
from typing import Any, TextIO

import structlog
from asgi_correlation_id.context import correlation_id

MASK = "***"
_SECRET_KEYS = re.compile(r"authorization|token|password|secret|api[_-]?key|cookie", re.I)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+")
_HANDLER_NAME = "slotwise"
_secrets: set[str] = set()


def register_secrets(values: Iterable[str]) -> None:
    """Values (tokens) that must be masked wherever they would appear in a log line."""
    _secrets.update(v for v in values if len(v) >= 6)


def scrub(text: str) -> str:
    """``text`` with bearer credentials and registered secrets masked.

    The case-insensitive pattern costs ~40 ns a character (~8 us for an access line), so it
    runs only where it can match: ASCII text without ``bearer``/``basic`` in any case has no
    match (non-ASCII text always goes through it: Unicode case folding, e.g. U+017F for s)."""
    if not text.isascii() or _may_hold_credentials(text.lower()):
        text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def _may_hold_credentials(lowered: str) -> bool:
    return "bearer" in lowered or "basic" in lowered


def redact_secrets(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: mask credential-like keys and token values everywhere."""
    for key, value in list(event_dict.items()):
        if _SECRET_KEYS.search(key) and value is not None:
            event_dict[key] = MASK
        elif isinstance(value, str):
            event_dict[key] = scrub(value)
    return event_dict


def add_request_id(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: the current request's id (set by the correlation middleware)."""
    request_id = correlation_id.get()
    if request_id is not None:
        event_dict.setdefault("request_id", request_id)
    return event_dict


def drop_color_message(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> Any:
    """structlog processor: uvicorn passes a ``color_message`` extra with ANSI escapes; the
    plain ``event`` already says the same."""
    event_dict.pop("color_message", None)
    return event_dict


def logs_info(level_name: str) -> bool:
    """Whether INFO records (the access lines) pass the configured log level."""
    level = logging.getLevelName(level_name.upper())
    return not isinstance(level, int) or level <= logging.INFO


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        add_request_id,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def build_formatter(json: bool = True) -> logging.Formatter:
    """The formatter every handler uses (tests attach it to their own stream)."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[*_shared_processors(), structlog.stdlib.ExtraAdder()],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            drop_color_message,
            redact_secrets,
            renderer,
        ],
    )


def configure_logging(
    level: str = "INFO", json: bool = True, stream: TextIO | None = None
) -> logging.Handler:
    """Install the structured handler on the root logger (replacing an earlier one of ours)
    and send uvicorn's loggers through it. Returns the handler."""
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.processors.StackInfoRenderer(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(build_formatter(json))
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        uvicorn_logger = logging.getLogger(name)
        uvicorn_logger.handlers.clear()
        uvicorn_logger.propagate = True
        # uvicorn pins its loggers at INFO; ours follow the configured level.
        uvicorn_logger.setLevel(logging.NOTSET)
    # The app writes the access log itself (``api.access_log``: buffered, sampled). uvicorn
    # writes its own line only while this logger has a handler somewhere up the tree, so it
    # gets none: a propagating one made every request also pay uvicorn's line (~100 µs through
    # the structured chain) and log twice.
    access = logging.getLogger("uvicorn.access")
    access.handlers.clear()
    access.propagate = False
    return handler
