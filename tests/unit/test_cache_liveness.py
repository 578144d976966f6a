"""The write lease: hits only while a write landed recently; a long gap owes a new generation."""

from __future__ import annotations

from slotwise.cache.liveness import LEASE, RESET_GAP, WRITER_PATIENCE, WriteLease


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_no_hit_before_the_first_write_landed() -> None:
    assert not WriteLease(Clock()).fresh()


def test_fresh_for_the_lease_after_the_send_time_of_a_landed_write() -> None:
    clock = Clock()
    lease = WriteLease(clock)
    assert lease.renew(clock.now) is False
    clock.now += LEASE * 0.9
    assert lease.fresh()
    clock.now += LEASE * 0.2
    assert not lease.fresh()  # writes may be refused now: no hits


def test_the_send_time_counts_not_the_reply_time() -> None:
    clock = Clock()
    lease = WriteLease(clock)
    sent = clock.now
    clock.now += LEASE  # the reply came late (a stalled write)
    lease.renew(sent)
    assert not lease.fresh()


def test_writes_resuming_after_a_long_gap_owe_a_new_generation() -> None:
    clock = Clock()
    lease = WriteLease(clock)
    lease.renew(clock.now)
    assert lease.renew(clock.now + RESET_GAP / 2) is False
    assert lease.renew(clock.now + RESET_GAP / 2 + RESET_GAP * 1.1) is True
    assert lease.renew(clock.now) is False  # an older send changes nothing


def test_the_bounds_fit_together() -> None:
    """Hits stop (LEASE) and gaps are noticed (RESET_GAP) before a writer gives up."""
    assert LEASE < RESET_GAP < WRITER_PATIENCE
