"""Random sequences of slot actions keep the invariants (hypothesis, stateful).

A tiny reference model (status + holder) predicts each outcome independently of the code under
test; after every step the slot must agree with it and the invariants must hold.
"""

from __future__ import annotations

from datetime import UTC, datetime

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from slotwise.domain.models import ACTIVE_STATUSES, NotHolder, Slot, SlotStatus, TransitionRejected

CANDIDATES = st.sampled_from([1, 2, 3])
F, P, B, C, X = (
    SlotStatus.FREE,
    SlotStatus.PENDING,
    SlotStatus.BOOKED,
    SlotStatus.CONFIRMED_BY_CANDIDATE,
    SlotStatus.CANCELED,
)


class SlotLifeCycle(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.slot = Slot(
            id=1, recruiter_id=1, start_utc=datetime(2030, 1, 1, 9, tzinfo=UTC), duration_min=30
        )
        self.status: SlotStatus = F
        self.holder: int | None = None
        self.was_canceled = False

    def _expect(self, allowed: bool, call: object, *, not_holder: bool = False) -> None:
        assert callable(call)
        if allowed:
            call()
        elif not_holder:
            try:
                call()
            except NotHolder:
                return
            raise AssertionError("expected NotHolder")
        else:
            try:
                call()
            except TransitionRejected:
                return
            raise AssertionError("expected TransitionRejected")

    @rule(candidate=CANDIDATES)
    def book(self, candidate: int) -> None:
        allowed = self.status is F
        self._expect(allowed, lambda: self.slot.book(candidate, f"c{candidate}", "UTC"))
        if allowed:
            self.status, self.holder = P, candidate

    @rule()
    def approve(self) -> None:
        allowed = self.status is P
        self._expect(allowed, self.slot.approve)
        if allowed:
            self.status = B

    @rule(candidate=CANDIDATES)
    def confirm(self, candidate: int) -> None:
        right_status = self.status is B
        allowed = right_status and candidate == self.holder
        self._expect(
            allowed, lambda: self.slot.confirm(candidate), not_holder=right_status and not allowed
        )
        if allowed:
            self.status = C

    @rule(candidate=st.none() | CANDIDATES)
    def release(self, candidate: int | None) -> None:
        right_status = self.status in ACTIVE_STATUSES
        allowed = right_status and candidate in (None, self.holder)
        self._expect(
            allowed, lambda: self.slot.release(candidate), not_holder=right_status and not allowed
        )
        if allowed:
            self.status, self.holder = F, None

    @rule()
    def cancel(self) -> None:
        allowed = self.status is not X
        self._expect(allowed, self.slot.cancel)
        if allowed:
            self.status = X
            self.was_canceled = True

    @precondition(lambda self: self.status is X)
    @rule()
    def nothing_leaves_canceled(self) -> None:
        for call in (
            lambda: self.slot.book(1, "x"),
            self.slot.approve,
            lambda: self.slot.confirm(1),
            lambda: self.slot.release(),
            self.slot.cancel,
        ):
            self._expect(False, call)

    @invariant()
    def agrees_with_the_model(self) -> None:
        assert self.slot.status is self.status
        if self.status is not X:
            assert self.slot.candidate_telegram_id == self.holder

    @invariant()
    def free_iff_no_candidate(self) -> None:
        if self.slot.status is X:
            return
        no_candidate = (
            self.slot.candidate_telegram_id is None
            and self.slot.candidate_name is None
            and self.slot.candidate_timezone is None
        )
        assert (self.slot.status is F) == no_candidate

    @invariant()
    def active_has_a_named_candidate(self) -> None:
        assert self.slot.is_active == (self.slot.status in ACTIVE_STATUSES)
        if self.slot.is_active:
            assert self.slot.candidate_telegram_id is not None
            assert self.slot.candidate_name

    @invariant()
    def canceled_is_terminal(self) -> None:
        if self.was_canceled:
            assert self.slot.status is X


SlotLifeCycle.TestCase.settings = settings(max_examples=150, stateful_step_count=25, deadline=None)
TestSlotLifeCycle = SlotLifeCycle.TestCase
