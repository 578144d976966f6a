"""Booking use cases on the in-memory fakes: every transition's success and each way it fails.

What "nothing happened" means here: no commit, the committed rows as they were, and nothing
published after commit (in production: no cache invalidation).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from slotwise.domain.audit import Actor, ActorRole
from slotwise.domain.models import Slot, SlotStatus, User
from slotwise.result import (
    ConflictError,
    DatabaseError,
    Error,
    InvalidTransitionError,
    NotFoundError,
    Result,
    ValidationError,
)
from slotwise.services import booking
from slotwise.services.booking import BookSlot, Reschedule
from slotwise.services.ports import UowFactory
from tests.unit import fake_data as data
from tests.unit.fake_data import HOLDER, OTHER
from tests.unit.fakes import FakeDatabase
from tests.unit.outcomes import error_of, value_of

F, P, B, C, X = (
    SlotStatus.FREE,
    SlotStatus.PENDING,
    SlotStatus.BOOKED,
    SlotStatus.CONFIRMED_BY_CANDIDATE,
    SlotStatus.CANCELED,
)

ADMIN_ACTOR = Actor(ActorRole.ADMIN)
BOT_ACTOR = Actor(ActorRole.BOT)


@pytest.fixture
def db() -> FakeDatabase:
    return FakeDatabase()


def assert_nothing_happened(db: FakeDatabase, before: dict[int, dict[str, object]]) -> None:
    assert db.commits == 0
    assert db.published == []
    assert db.events() == []  # no audit event for what did not happen
    assert {i: db.row(Slot, i) for i in before} == before


def snapshot(db: FakeDatabase, *slots: Slot) -> dict[int, dict[str, object]]:
    rows = {s.id: db.row(Slot, s.id) for s in slots}
    return {i: row for i, row in rows.items() if row is not None}


def the_user(db: FakeDatabase, telegram_id: int = HOLDER) -> User:
    found = [u for u in (db.load(User, i) for i in db.tables[User]) if u.telegram_id == telegram_id]
    assert len(found) == 1
    return found[0]


# --- book ------------------------------------------------------------------------------------


async def test_book_makes_a_free_slot_pending_for_the_candidate(db: FakeDatabase) -> None:
    moscow = data.city(db)
    free = data.slot(db, data.recruiter(db), in_city=moscow)

    result = await booking.book(
        db.uow_factory, BookSlot(free.id, HOLDER, "Olga", "Asia/Tokyo", actor=BOT_ACTOR)
    )

    booked = value_of(result)
    assert (booked.status, booked.candidate_telegram_id) == (P, HOLDER)
    stored = db.load(Slot, free.id)
    assert stored.status == P
    assert (stored.candidate_telegram_id, stored.candidate_name) == (HOLDER, "Olga")
    assert stored.candidate_timezone == "Asia/Tokyo"
    assert stored.version == 2
    assert db.commits == 1
    assert db.last_uow.locked == [free.id]
    assert sorted(db.published) == sorted([f"Slot:update:{free.id}", "User:add:1"])


async def test_book_creates_the_candidate_in_the_slots_city(db: FakeDatabase) -> None:
    moscow = data.city(db)
    free = data.slot(db, data.recruiter(db), in_city=moscow)

    await booking.book(
        db.uow_factory, BookSlot(free.id, HOLDER, "Olga", "Asia/Tokyo", actor=BOT_ACTOR)
    )

    user = the_user(db)
    assert (user.name, user.timezone, user.city_id) == ("Olga", "Asia/Tokyo", moscow.id)


async def test_book_brings_a_known_candidate_up_to_date(db: FakeDatabase) -> None:
    known = data.user(db, name="Ivan")
    free = data.slot(db, data.recruiter(db))

    await booking.book(
        db.uow_factory, BookSlot(free.id, HOLDER, "Ivan Petrov", "Asia/Tokyo", actor=BOT_ACTOR)
    )

    user = the_user(db)
    assert user.id == known.id
    assert (user.name, user.timezone) == ("Ivan Petrov", "Asia/Tokyo")
    assert db.count(User) == 1
    assert f"User:update:{known.id}" in db.published


async def test_book_without_a_timezone_keeps_the_candidates_own(db: FakeDatabase) -> None:
    data.user(db, name="Ivan")  # timezone Europe/Berlin
    free = data.slot(db, data.recruiter(db))

    await booking.book(db.uow_factory, BookSlot(free.id, HOLDER, "Ivan", actor=BOT_ACTOR))

    assert the_user(db).timezone == "Europe/Berlin"
    assert not any(event.startswith("User:") for event in db.published)


async def test_book_when_another_request_created_the_candidate_first(db: FakeDatabase) -> None:
    """The insert loses the unique index to a concurrent booking: that row is updated."""
    free = data.slot(db, data.recruiter(db))

    def another_booking_commits_the_candidate() -> None:
        data.user(db, name="Racer")

    db.before_insert[User] = another_booking_commits_the_candidate

    result = await booking.book(
        db.uow_factory, BookSlot(free.id, HOLDER, "Olga", "Asia/Tokyo", actor=BOT_ACTOR)
    )

    assert value_of(result).status == P
    assert db.count(User) == 1
    assert (the_user(db).name, the_user(db).timezone) == ("Olga", "Asia/Tokyo")


async def test_book_a_missing_slot_is_not_found(db: FakeDatabase) -> None:
    result = await booking.book(db.uow_factory, BookSlot(404, HOLDER, "Olga", actor=BOT_ACTOR))

    assert error_of(result) == NotFoundError("Slot", 404)
    assert db.commits == 0
    assert db.count(User) == 0


@pytest.mark.parametrize("status", [P, B, C, X])
async def test_book_a_slot_that_is_not_free_is_an_invalid_transition(
    db: FakeDatabase, status: SlotStatus
) -> None:
    taken = data.slot(db, data.recruiter(db), status=status, holder=OTHER)
    before = snapshot(db, taken)

    result = await booking.book(db.uow_factory, BookSlot(taken.id, HOLDER, "Olga", actor=BOT_ACTOR))

    error = error_of(result)
    assert isinstance(error, InvalidTransitionError)
    assert (error.action, error.from_status) == ("book", status.value)
    assert_nothing_happened(db, before)
    assert db.count(User) == 0


async def test_book_with_an_unknown_timezone_is_a_validation_error(db: FakeDatabase) -> None:
    free = data.slot(db, data.recruiter(db))
    before = snapshot(db, free)

    result = await booking.book(
        db.uow_factory, BookSlot(free.id, HOLDER, "Olga", "Mars/Base", actor=BOT_ACTOR)
    )

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "candidate_timezone"
    assert_nothing_happened(db, before)


async def test_book_a_second_active_slot_with_one_recruiter_conflicts(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    held = data.slot(db, anna, status=P)
    free = data.slot(db, anna, hour=2)
    before = snapshot(db, held, free)

    result = await booking.book(db.uow_factory, BookSlot(free.id, HOLDER, "Olga", actor=BOT_ACTOR))

    error = error_of(result)
    assert type(error) is ConflictError
    assert error.conflicting_field == "candidate_telegram_id"
    assert_nothing_happened(db, before)


async def test_book_whose_commit_fails_publishes_nothing(db: FakeDatabase) -> None:
    free = data.slot(db, data.recruiter(db))
    before = snapshot(db, free)
    db.commit_error = DatabaseError("commit", "the database is unavailable")

    result = await booking.book(db.uow_factory, BookSlot(free.id, HOLDER, "Olga", actor=BOT_ACTOR))

    assert error_of(result) == DatabaseError("commit", "the database is unavailable")
    assert db.last_uow.rolled_back
    assert_nothing_happened(db, before)
    assert db.count(User) == 0


# --- approve, confirm, release, cancel --------------------------------------------------------

Transition = Callable[[UowFactory, int], Awaitable[Result[Slot, Error]]]


def as_candidate(who: int) -> dict[str, Transition]:
    """The transitions a candidate asks for, as ``who``."""
    return {
        "confirm": lambda uows, slot_id: booking.confirm(
            uows, booking.ConfirmSlot(slot_id, who, actor=BOT_ACTOR)
        ),
        "release": lambda uows, slot_id: booking.release(
            uows, booking.ReleaseSlot(slot_id, who, actor=BOT_ACTOR)
        ),
    }


TRANSITIONS: dict[str, Transition] = {
    "approve": lambda uows, slot_id: booking.approve(
        uows, booking.ApproveSlot(slot_id, actor=ADMIN_ACTOR)
    ),
    **as_candidate(HOLDER),
    "cancel": lambda uows, slot_id: booking.cancel(
        uows, booking.CancelSlot(slot_id, actor=ADMIN_ACTOR)
    ),
}

# (use case, status before, status after): every allowed move.
ALLOWED = [
    ("approve", P, B),
    ("confirm", B, C),
    ("release", P, F),
    ("release", B, F),
    ("release", C, F),
    ("cancel", F, X),
    ("cancel", P, X),
    ("cancel", B, X),
    ("cancel", C, X),
]
REFUSED = [
    (name, status)
    for name in TRANSITIONS
    for status in SlotStatus
    if not any(a == name and s == status for a, s, _ in ALLOWED)
]


@pytest.mark.parametrize(("name", "start", "end"), ALLOWED)
async def test_transition_moves_the_slot_and_commits_once(
    db: FakeDatabase, name: str, start: SlotStatus, end: SlotStatus
) -> None:
    target = data.slot(db, data.recruiter(db), status=start)

    result = await TRANSITIONS[name](db.uow_factory, target.id)

    assert value_of(result).status == end
    stored = db.load(Slot, target.id)
    assert stored.status == end
    assert db.commits == 1
    assert db.last_uow.locked == [target.id]
    assert db.published == [f"Slot:update:{target.id}"]
    if end is F:
        assert (stored.candidate_telegram_id, stored.candidate_name) == (None, None)
        assert stored.candidate_timezone is None
    elif end is not X:
        assert stored.candidate_telegram_id == HOLDER


@pytest.mark.parametrize(("name", "start"), REFUSED)
async def test_transition_from_a_wrong_status_is_invalid(
    db: FakeDatabase, name: str, start: SlotStatus
) -> None:
    target = data.slot(db, data.recruiter(db), status=start)
    before = snapshot(db, target)

    result = await TRANSITIONS[name](db.uow_factory, target.id)

    error = error_of(result)
    assert isinstance(error, InvalidTransitionError)
    assert (error.action, error.from_status) == (name, start.value)
    assert_nothing_happened(db, before)


@pytest.mark.parametrize("name", TRANSITIONS)
async def test_transition_of_a_missing_slot_is_not_found(db: FakeDatabase, name: str) -> None:
    result = await TRANSITIONS[name](db.uow_factory, 404)

    assert error_of(result) == NotFoundError("Slot", 404)
    assert db.commits == 0
    assert db.published == []


@pytest.mark.parametrize(
    ("name", "start"),
    [("confirm", B), ("release", P), ("release", B), ("release", C)],
)
async def test_only_the_holder_may_confirm_or_release(
    db: FakeDatabase, name: str, start: SlotStatus
) -> None:
    target = data.slot(db, data.recruiter(db), status=start, holder=HOLDER)
    before = snapshot(db, target)

    result = await as_candidate(OTHER)[name](db.uow_factory, target.id)

    error = error_of(result)
    assert type(error) is ConflictError  # not an invalid transition: the status would allow it
    assert error.conflicting_field == "telegram_id"
    assert_nothing_happened(db, before)


# --- reschedule --------------------------------------------------------------------------------


async def test_reschedule_moves_the_candidate_in_one_transaction(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    old = data.slot(db, anna, status=B)
    new = data.slot(db, anna, hour=3)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, HOLDER, new.id, actor=BOT_ACTOR)
    )

    assert value_of(result).id == new.id
    was, now = db.load(Slot, old.id), db.load(Slot, new.id)
    assert (was.status, was.candidate_telegram_id, was.candidate_name) == (F, None, None)
    assert (now.status, now.candidate_telegram_id) == (P, HOLDER)
    assert (now.candidate_name, now.candidate_timezone) == ("Ivan Petrov", "Europe/Berlin")
    assert db.commits == 1
    assert db.last_uow.locked == sorted([old.id, new.id])
    assert sorted(db.published) == sorted([f"Slot:update:{old.id}", f"Slot:update:{new.id}"])


async def test_reschedule_locks_in_id_order_whichever_way_it_goes(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    new = data.slot(db, anna)
    old = data.slot(db, anna, hour=3, status=P)
    assert new.id < old.id

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, HOLDER, new.id, actor=BOT_ACTOR)
    )

    assert value_of(result).status == P
    assert db.last_uow.locked == [new.id, old.id]


@pytest.mark.parametrize("status", [P, B, C, X])
async def test_reschedule_to_a_taken_slot_leaves_the_old_booking_untouched(
    db: FakeDatabase, status: SlotStatus
) -> None:
    anna = data.recruiter(db)
    old = data.slot(db, anna, status=B)
    taken = data.slot(db, anna, hour=3, status=status, holder=OTHER)
    before = snapshot(db, old, taken)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, HOLDER, taken.id, actor=BOT_ACTOR)
    )

    error = error_of(result)
    assert isinstance(error, InvalidTransitionError)
    assert (error.action, error.from_status) == ("reschedule", status.value)
    assert_nothing_happened(db, before)


async def test_reschedule_that_fails_half_way_rolls_the_release_back(db: FakeDatabase) -> None:
    """The old slot is released (written) before the new one is refused: both stay as they were."""
    anna, boris = data.recruiter(db), data.recruiter(db, name="Boris")
    old = data.slot(db, anna, status=B)
    data.slot(db, boris, status=P)  # the candidate's active slot with Boris
    new = data.slot(db, boris, hour=5)
    before = snapshot(db, old, new)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, HOLDER, new.id, actor=BOT_ACTOR)
    )

    error = error_of(result)
    assert type(error) is ConflictError
    assert error.conflicting_field == "candidate_telegram_id"
    assert db.last_uow.rolled_back
    assert_nothing_happened(db, before)


async def test_reschedule_by_someone_else_changes_nothing(db: FakeDatabase) -> None:
    anna = data.recruiter(db)
    old = data.slot(db, anna, status=B)
    new = data.slot(db, anna, hour=3)
    before = snapshot(db, old, new)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, OTHER, new.id, actor=BOT_ACTOR)
    )

    assert type(error_of(result)) is ConflictError
    assert_nothing_happened(db, before)


@pytest.mark.parametrize("status", [F, X])
async def test_reschedule_from_a_slot_nobody_holds_is_invalid(
    db: FakeDatabase, status: SlotStatus
) -> None:
    anna = data.recruiter(db)
    old = data.slot(db, anna, status=status)
    new = data.slot(db, anna, hour=3)
    before = snapshot(db, old, new)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old.id, HOLDER, new.id, actor=BOT_ACTOR)
    )

    error = error_of(result)
    assert isinstance(error, InvalidTransitionError)
    assert (error.action, error.from_status) == ("reschedule", status.value)
    assert_nothing_happened(db, before)


@pytest.mark.parametrize("missing", ["old", "new"])
async def test_reschedule_with_a_missing_slot_is_not_found(db: FakeDatabase, missing: str) -> None:
    there = data.slot(db, data.recruiter(db), status=B)
    before = snapshot(db, there)
    old_id, new_id = (404, there.id) if missing == "old" else (there.id, 404)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(old_id, HOLDER, new_id, actor=BOT_ACTOR)
    )

    assert error_of(result) == NotFoundError("Slot", 404)
    assert_nothing_happened(db, before)


async def test_reschedule_to_the_same_slot_is_refused_before_any_transaction(
    db: FakeDatabase,
) -> None:
    held = data.slot(db, data.recruiter(db), status=B)

    result = await booking.reschedule(
        db.uow_factory, Reschedule(held.id, HOLDER, held.id, actor=BOT_ACTOR)
    )

    error = error_of(result)
    assert isinstance(error, ValidationError)
    assert error.field == "new_slot_id"
    assert db.units == []
