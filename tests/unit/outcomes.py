"""Unwrapping a use case's Result in a test, with a message that shows what came back instead."""

from __future__ import annotations

from typing import TypeVar

from slotwise.result import Error, Failure, Result, Success

T = TypeVar("T")


def error_of(result: Result[T, Error]) -> Error:
    assert isinstance(result, Failure), f"expected a Failure, got {result!r}"
    return result.error


def value_of(result: Result[T, Error]) -> T:
    assert isinstance(result, Success), f"expected a Success, got {result!r}"
    return result.value
