"""The circuit breaker's states, with a hand-driven clock."""

from __future__ import annotations

from slotwise.cache.breaker import BreakerState, CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def state_of(breaker: CircuitBreaker) -> BreakerState:
    """Read through a call: mypy keeps an attribute narrowed across the calls that change it."""
    return breaker.state


def test_opens_after_threshold_then_half_opens_for_one_probe() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=3, reset_after=1.0, clock=clock)
    assert breaker.record_failure("x") is False
    assert breaker.record_failure("x") is False
    assert breaker.allow()
    assert breaker.record_failure("x") is True  # a new outage: the caller owes a reset
    assert state_of(breaker) is BreakerState.OPEN and not breaker.allow()
    clock.now = 1.5
    assert breaker.allow()  # the probe
    assert not breaker.allow()  # only one at a time
    breaker.record_success()
    assert state_of(breaker) is BreakerState.CLOSED and breaker.allow()


def test_a_failed_probe_opens_again() -> None:
    clock = Clock()
    breaker = CircuitBreaker(threshold=1, reset_after=1.0, clock=clock)
    breaker.record_failure("x")
    clock.now = 2.0
    assert breaker.allow()
    assert breaker.record_failure("x") is False  # same outage
    assert state_of(breaker) is BreakerState.OPEN and not breaker.allow()
    clock.now = 3.5
    assert breaker.allow()


def test_a_success_resets_the_count() -> None:
    breaker = CircuitBreaker(threshold=2, reset_after=1.0, clock=Clock())
    breaker.record_failure("x")
    breaker.record_success()
    breaker.record_failure("x")
    assert state_of(breaker) is BreakerState.CLOSED


def test_force_open() -> None:
    breaker = CircuitBreaker(clock=Clock())
    breaker.force_open("startup")
    assert not breaker.allow()
