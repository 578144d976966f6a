"""Structured log lines: JSON, request id, and no secrets."""

from __future__ import annotations

import json
import logging
from io import StringIO

from asgi_correlation_id.context import correlation_id

from slotwise.observability.logging import (
    MASK,
    build_formatter,
    configure_logging,
    register_secrets,
)


def emit(message: str, *args: object, **extra: object) -> dict[str, object]:
    stream = StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(build_formatter(json=True))
    logger = logging.getLogger("slotwise.test.logging")
    logger.addHandler(handler)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    try:
        logger.info(message, *args, extra=extra)
    finally:
        logger.removeHandler(handler)
    line: dict[str, object] = json.loads(stream.getvalue())
    return line


def test_a_line_is_json_with_level_logger_and_extras() -> None:
    line = emit("hello %s", "world", duration_ms=1.5)
    assert line["event"] == "hello world"
    assert line["level"] == "info"
    assert line["logger"] == "slotwise.test.logging"
    assert line["duration_ms"] == 1.5
    assert "timestamp" in line and "request_id" not in line


def test_the_request_id_is_in_the_line() -> None:
    token = correlation_id.set("abc123")
    try:
        assert emit("inside a request")["request_id"] == "abc123"
    finally:
        correlation_id.reset(token)


def test_secrets_are_masked() -> None:
    register_secrets(["s3cr3t-token-value"])
    line = emit(
        "auth header was %s, token %s",
        "Bearer abc.def-ghi",
        "s3cr3t-token-value",
        authorization="Bearer xyz",
        password="hunter2",
    )
    text = json.dumps(line)
    assert "abc.def-ghi" not in text and "s3cr3t-token-value" not in text
    assert "xyz" not in text and "hunter2" not in text
    assert line["authorization"] == MASK and line["password"] == MASK
    assert f"Bearer {MASK}" in str(line["event"])


def test_uvicorns_ansi_color_message_is_dropped() -> None:
    line = emit("Started server process [%d]", 42, color_message="Started \x1b[36m%d\x1b[0m")
    assert line["event"] == "Started server process [42]"
    assert "color_message" not in line


def test_uvicorn_writes_no_access_line_of_its_own() -> None:
    """Regression: uvicorn writes its access line while ``uvicorn.access`` has a handler
    anywhere up the tree, and the structured handler on the root gave it one, so every
    request was logged twice, once through the whole structured chain. The app writes the
    access log itself (``api.access_log``); uvicorn's error log still goes through ours."""
    root = logging.getLogger()
    access, error = logging.getLogger("uvicorn.access"), logging.getLogger("uvicorn.error")
    saved = (list(root.handlers), root.level, access.propagate, list(access.handlers))
    try:
        configure_logging("INFO", json=True, stream=StringIO())
        assert not access.hasHandlers()
        assert error.hasHandlers()
    finally:
        root.handlers[:] = saved[0]
        root.setLevel(saved[1])
        access.propagate, access.handlers[:] = saved[2], saved[3]
