"""The slot life cycle: every (status, action) pair, allowed or not, as FOUNDATIONS.md lists it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from slotwise.domain.models import (
    ACTIVE_STATUSES,
    TRANSITIONS,
    NotHolder,
    Slot,
    SlotStatus,
    TransitionRejected,
    next_status,
)

HOLDER = 111
OTHER = 222

F, P, B, C, X = (
    SlotStatus.FREE,
    SlotStatus.PENDING,
    SlotStatus.BOOKED,
    SlotStatus.CONFIRMED_BY_CANDIDATE,
    SlotStatus.CANCELED,
)

# The specification, written out by hand (not derived from TRANSITIONS): action -> {from: to}.
SPEC: dict[str, dict[SlotStatus, SlotStatus]] = {
    "book": {F: P},
    "approve": {P: B},
    "confirm": {B: C},
    "release": {P: F, B: F, C: F},
    "cancel": {F: X, P: X, B: X, C: X},
}
ACTIONS = tuple(SPEC)
ALL_PAIRS = [(status, action) for status in SlotStatus for action in ACTIONS]
ALLOWED = [(s, a) for s, a in ALL_PAIRS if s in SPEC[a]]
DISALLOWED = [(s, a) for s, a in ALL_PAIRS if s not in SPEC[a]]


def make_slot(status: SlotStatus) -> Slot:
    """A slot in ``status``; an active one is held by HOLDER."""
    slot = Slot(
        id=1,
        recruiter_id=1,
        start_utc=datetime(2030, 1, 1, 9, tzinfo=UTC),
        duration_min=60,
        status=status,
    )
    if status in ACTIVE_STATUSES:
        slot.candidate_telegram_id = HOLDER
        slot.candidate_name = "Holder"
        slot.candidate_timezone = "Europe/Berlin"
    return slot


def act(slot: Slot, action: str, telegram_id: int = HOLDER) -> None:
    """Apply ``action`` the way its caller would: candidate actions name the candidate."""
    calls: dict[str, Callable[[], None]] = {
        "book": lambda: slot.book(telegram_id, "Newcomer", "Asia/Tokyo"),
        "approve": slot.approve,
        "confirm": lambda: slot.confirm(telegram_id),
        "release": lambda: slot.release(telegram_id),
        "cancel": slot.cancel,
    }
    calls[action]()


def candidate_fields(slot: Slot) -> tuple[int | None, str | None, str | None]:
    return (slot.candidate_telegram_id, slot.candidate_name, slot.candidate_timezone)


def test_every_pair_is_covered() -> None:
    assert len(ALL_PAIRS) == 25
    assert len(ALLOWED) == 10
    assert len(DISALLOWED) == 15


def test_transition_table_matches_the_specification() -> None:
    assert {a: (set(src), dst) for a, (src, dst) in TRANSITIONS.items()} == {
        a: (set(m), next(iter(set(m.values())))) for a, m in SPEC.items()
    }


@pytest.mark.parametrize(("status", "action"), ALL_PAIRS)
def test_next_status(status: SlotStatus, action: str) -> None:
    assert next_status(status, action) == SPEC[action].get(status)
    assert next_status(status.value, action) == SPEC[action].get(status)


def test_next_status_of_an_unknown_action_is_none() -> None:
    assert next_status(SlotStatus.FREE, "reschedule") is None
    assert next_status(SlotStatus.PENDING, "delete") is None


@pytest.mark.parametrize(("status", "action"), ALLOWED)
def test_allowed_transition(status: SlotStatus, action: str) -> None:
    slot = make_slot(status)
    act(slot, action)
    assert slot.status == SPEC[action][status]


@pytest.mark.parametrize(("status", "action"), DISALLOWED)
def test_disallowed_transition_is_rejected_and_changes_nothing(
    status: SlotStatus, action: str
) -> None:
    slot = make_slot(status)
    before = (slot.status, *candidate_fields(slot))
    with pytest.raises(TransitionRejected) as info:
        act(slot, action)
    assert info.value.action == action
    assert info.value.from_status == status.value
    assert action in str(info.value)
    assert (slot.status, *candidate_fields(slot)) == before


def test_status_is_a_str_enum() -> None:
    assert SlotStatus("free") is SlotStatus.FREE
    as_str: str = SlotStatus.CONFIRMED_BY_CANDIDATE  # typed as str: compared as a str
    assert as_str == "confirmed_by_candidate"
    assert [s.value for s in SlotStatus] == [
        "free",
        "pending",
        "booked",
        "confirmed_by_candidate",
        "canceled",
    ]


def test_book_sets_the_candidate_fields() -> None:
    slot = make_slot(F)
    slot.book(HOLDER, "Ann", "Asia/Tokyo")
    assert slot.status is P
    assert candidate_fields(slot) == (HOLDER, "Ann", "Asia/Tokyo")
    assert slot.is_active


def test_book_without_a_timezone_leaves_it_empty() -> None:
    slot = make_slot(F)
    slot.book(HOLDER, "Ann")
    assert candidate_fields(slot) == (HOLDER, "Ann", None)


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_release_clears_the_candidate_fields(status: SlotStatus) -> None:
    slot = make_slot(status)
    slot.release(HOLDER)
    assert slot.status is F
    assert candidate_fields(slot) == (None, None, None)
    assert not slot.is_active


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_release_without_a_candidate_is_the_recruiters_release(status: SlotStatus) -> None:
    slot = make_slot(status)
    slot.release()
    assert slot.status is F
    assert candidate_fields(slot) == (None, None, None)


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_release_by_someone_else_is_rejected(status: SlotStatus) -> None:
    slot = make_slot(status)
    with pytest.raises(NotHolder):
        slot.release(OTHER)
    assert slot.status is status
    assert candidate_fields(slot)[0] == HOLDER


def test_confirm_by_someone_else_is_rejected() -> None:
    slot = make_slot(B)
    with pytest.raises(NotHolder):
        slot.confirm(OTHER)
    assert slot.status is B


@pytest.mark.parametrize("status", [F, P, C, X])
def test_confirm_from_a_wrong_status_is_a_transition_error_even_for_a_stranger(
    status: SlotStatus,
) -> None:
    """The status is checked first: a stranger confirming a free slot learns 'not booked'."""
    slot = make_slot(status)
    with pytest.raises(TransitionRejected):
        slot.confirm(OTHER)


@pytest.mark.parametrize("status", [F, X])
def test_release_of_a_slot_nobody_holds_is_a_transition_error(status: SlotStatus) -> None:
    slot = make_slot(status)
    with pytest.raises(TransitionRejected):
        slot.release(HOLDER)


@pytest.mark.parametrize("status", sorted(ACTIVE_STATUSES))
def test_cancel_keeps_the_candidate_for_the_record(status: SlotStatus) -> None:
    """Cancel is the recruiter withdrawing; who held the slot is still worth knowing."""
    slot = make_slot(status)
    slot.cancel()
    assert slot.status is X
    assert not slot.is_active


def test_approve_and_confirm_keep_the_candidate() -> None:
    slot = make_slot(P)
    slot.approve()
    assert candidate_fields(slot) == (HOLDER, "Holder", "Europe/Berlin")
    slot.confirm(HOLDER)
    assert slot.status is C
    assert candidate_fields(slot) == (HOLDER, "Holder", "Europe/Berlin")


def test_a_new_slot_is_free_and_can_be_booked_before_it_is_saved() -> None:
    slot = Slot(recruiter_id=1, start_utc=datetime(2030, 1, 1, 9, tzinfo=UTC))
    assert slot.status is F
    assert slot.duration_min == 60
    assert not slot.is_active
    slot.book(HOLDER, "Ann")
    assert slot.status is P


def test_overlaps_is_half_open() -> None:
    slot = make_slot(F)  # 09:00-10:00
    at = datetime(2030, 1, 1, tzinfo=UTC)
    assert slot.compute_end() == at.replace(hour=10)
    assert slot.overlaps(at.replace(hour=9, minute=30), at.replace(hour=11))
    assert slot.overlaps(at.replace(hour=8), at.replace(hour=11))
    assert not slot.overlaps(at.replace(hour=10), at.replace(hour=11))
    assert not slot.overlaps(at.replace(hour=8), at.replace(hour=9))
