"""SlotRepository: free slots, a candidate's upcoming ones, the filtered list, locks, overlaps.

Also the database rules that keep bookings sound: a recruiter's non-canceled slots never
overlap (triggers on SQLite, an exclusion constraint on PostgreSQL) and a candidate holds at
most one active slot per recruiter (a partial unique index).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import event, update

from slotwise.domain.models import Recruiter, Slot, SlotStatus
from slotwise.repositories import UnitOfWork
from slotwise.repositories.slot import SlotFilters
from slotwise.result import ConflictError, NotFoundError, ValidationError

from .foundation_data import T0, at, city, error, ok, recruiter, slot

MakeUow = Callable[[], UnitOfWork]
F, P, B, C, X = (
    SlotStatus.FREE,
    SlotStatus.PENDING,
    SlotStatus.BOOKED,
    SlotStatus.CONFIRMED_BY_CANDIDATE,
    SlotStatus.CANCELED,
)


def ids(slots: Sequence[Slot]) -> list[int]:
    return [s.id for s in slots]


class Board:
    """Anna (Moscow) and Boris (Berlin), with slots in every status."""

    def __init__(self) -> None:
        self.anna: Recruiter
        self.boris: Recruiter
        self.moscow = 0
        self.berlin = 0
        self.by_name: dict[str, int] = {}

    async def build(self, make_uow: MakeUow) -> Board:
        async with make_uow() as uow:
            moscow = await city(uow, "Moscow")
            berlin = await city(uow, "Berlin", timezone="Europe/Berlin")
            self.moscow, self.berlin = moscow.id, berlin.id
            self.anna = await recruiter(uow, "Anna", [moscow])
            self.boris = await recruiter(uow, "Boris", [berlin])
            plan = [
                # name, owner, hour, status, candidate, city
                ("a_free_0", self.anna, 0, F, None, moscow.id),
                ("a_pending_1", self.anna, 1, P, 7, moscow.id),
                ("a_free_2", self.anna, 2, F, None, moscow.id),
                ("a_canceled_3", self.anna, 3, X, None, moscow.id),
                ("a_free_5", self.anna, 5, F, None, None),
                ("b_free_0", self.boris, 0, F, None, berlin.id),
                ("b_booked_1", self.boris, 1, B, 7, berlin.id),
                ("b_free_2", self.boris, 2, F, None, berlin.id),
                ("b_confirmed_-30", self.boris, -30, C, 8, berlin.id),
            ]
            for name, owner, hour, status, candidate, city_id in plan:
                made = await slot(
                    uow, owner, at(hour), status=status, candidate=candidate, city_id=city_id
                )
                self.by_name[name] = made.id
            await uow.commit()
        return self

    def __getitem__(self, name: str) -> int:
        return self.by_name[name]


@pytest.fixture
async def board(make_uow: MakeUow) -> Board:
    return await Board().build(make_uow)


# --- get_free_for_recruiter ----------------------------------------------------------------


async def test_free_for_recruiter(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        found = ok(await uow.slots.get_free_for_recruiter(board.anna.id, at(-100)))
        assert ids(found) == [board["a_free_0"], board["a_free_2"], board["a_free_5"]]
        assert all(s.status is F for s in found)


async def test_free_for_recruiter_honours_after(make_uow: MakeUow, board: Board) -> None:
    """Two calls with different ``after`` give different answers (the document's cache bug)."""
    async with make_uow() as uow:
        from_two = ok(await uow.slots.get_free_for_recruiter(board.anna.id, at(2)))
        assert ids(from_two) == [board["a_free_2"], board["a_free_5"]]  # ``after`` is inclusive
        just_after_two = ok(await uow.slots.get_free_for_recruiter(board.anna.id, at(2.01)))
        assert ids(just_after_two) == [board["a_free_5"]]
        assert list(ok(await uow.slots.get_free_for_recruiter(board.anna.id, at(6)))) == []


async def test_free_for_recruiter_compares_instants_not_wall_clocks(
    make_uow: MakeUow, board: Board
) -> None:
    """at(2) written with a +03:00 offset is the same instant."""
    moscow_time = at(2).astimezone(timezone(timedelta(hours=3)))
    async with make_uow() as uow:
        found = ok(await uow.slots.get_free_for_recruiter(board.anna.id, moscow_time))
        assert ids(found) == [board["a_free_2"], board["a_free_5"]]


async def test_free_for_recruiter_of_someone_else(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        found = ok(await uow.slots.get_free_for_recruiter(board.boris.id, at(-100)))
        assert ids(found) == [board["b_free_0"], board["b_free_2"]]
        assert list(ok(await uow.slots.get_free_for_recruiter(987_654, at(-100)))) == []


async def test_free_for_recruiter_rejects_a_naive_after(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        err = error(await uow.slots.get_free_for_recruiter(board.anna.id, datetime(2031, 1, 1)))
    assert isinstance(err, ValidationError)
    assert err.field == "after"


async def test_free_slots_come_with_recruiter_and_city(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        found = ok(await uow.slots.get_free_for_recruiter(board.anna.id, at(-100)))
        assert {s.recruiter.name for s in found} == {"Anna"}
        assert [s.city.name if s.city else None for s in found] == ["Moscow", "Moscow", None]


# --- get_upcoming_for_candidate ------------------------------------------------------------


async def test_upcoming_for_candidate(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        found = ok(await uow.slots.get_upcoming_for_candidate(7, at(-100)))
        assert ids(found) == [board["b_booked_1"], board["a_pending_1"]] or ids(found) == [
            board["a_pending_1"],
            board["b_booked_1"],
        ]
        # Same start: ordered by id.
        assert ids(found) == sorted(ids(found))
        assert {s.status for s in found} == {P, B}
        assert {s.recruiter.name for s in found} == {"Anna", "Boris"}


async def test_upcoming_for_candidate_honours_after(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        assert ids(ok(await uow.slots.get_upcoming_for_candidate(8, at(-100)))) == [
            board["b_confirmed_-30"]
        ]
        assert list(ok(await uow.slots.get_upcoming_for_candidate(8, at(-29)))) == []
        assert list(ok(await uow.slots.get_upcoming_for_candidate(7, at(1.5)))) == []


async def test_upcoming_leaves_out_released_and_canceled(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        pending = ok(await uow.slots.get(board["a_pending_1"]))
        pending.release(7)
        ok(await uow.slots.update(pending))
        booked = ok(await uow.slots.get(board["b_booked_1"]))
        booked.cancel()
        ok(await uow.slots.update(booked))
        assert list(ok(await uow.slots.get_upcoming_for_candidate(7, at(-100)))) == []


async def test_upcoming_rejects_a_naive_after(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        err = error(await uow.slots.get_upcoming_for_candidate(7, datetime(2031, 1, 1)))
    assert isinstance(err, ValidationError)


# --- list ----------------------------------------------------------------------------------


async def listed(make_uow: MakeUow, filters: SlotFilters | None = None, **page: int) -> list[int]:
    async with make_uow() as uow:
        return ids(ok(await uow.slots.list(filters, **page)).items)


async def test_list_without_filters_is_ordered_by_start_then_id(
    make_uow: MakeUow, board: Board
) -> None:
    got = await listed(make_uow)
    assert len(got) == 9
    async with make_uow() as uow:
        rows = ok(await uow.slots.list()).items
    assert [(s.start_utc, s.id) for s in rows] == sorted((s.start_utc, s.id) for s in rows)
    assert got[0] == board["b_confirmed_-30"]


async def test_list_filters(make_uow: MakeUow, board: Board) -> None:
    anna = board.anna.id
    assert await listed(make_uow, SlotFilters(recruiter_id=anna)) == [
        board[n] for n in ("a_free_0", "a_pending_1", "a_free_2", "a_canceled_3", "a_free_5")
    ]
    assert await listed(make_uow, SlotFilters(city_id=board.berlin)) == [
        board[n] for n in ("b_confirmed_-30", "b_free_0", "b_booked_1", "b_free_2")
    ]
    assert await listed(make_uow, SlotFilters(status=X)) == [board["a_canceled_3"]]
    assert await listed(make_uow, SlotFilters(status="pending")) == [board["a_pending_1"]]  # type: ignore[arg-type]
    assert await listed(make_uow, SlotFilters(recruiter_id=anna, status=F)) == [
        board[n] for n in ("a_free_0", "a_free_2", "a_free_5")
    ]
    assert await listed(make_uow, SlotFilters(recruiter_id=anna, city_id=board.berlin)) == []


async def test_list_time_window_is_half_open(make_uow: MakeUow, board: Board) -> None:
    window = SlotFilters(recruiter_id=board.anna.id, start_from=at(1), start_to=at(3))
    assert await listed(make_uow, window) == [board["a_pending_1"], board["a_free_2"]]
    assert await listed(make_uow, SlotFilters(start_from=at(5))) == [board["a_free_5"]]
    assert await listed(make_uow, SlotFilters(start_to=at(0))) == [board["b_confirmed_-30"]]
    assert await listed(make_uow, SlotFilters(start_from=at(3), start_to=at(3))) == []


async def test_list_window_with_an_offset_is_the_same_instant(
    make_uow: MakeUow, board: Board
) -> None:
    tokyo = timezone(timedelta(hours=9))
    window = SlotFilters(
        recruiter_id=board.anna.id,
        start_from=at(1).astimezone(tokyo),
        start_to=at(3).astimezone(tokyo),
    )
    assert await listed(make_uow, window) == [board["a_pending_1"], board["a_free_2"]]


async def test_list_pages(make_uow: MakeUow, board: Board) -> None:
    every = await listed(make_uow)
    assert await listed(make_uow, limit=4) == every[:4]
    assert await listed(make_uow, limit=4, offset=4) == every[4:8]
    assert await listed(make_uow, limit=4, offset=8) == every[8:]
    async with make_uow() as uow:
        page = ok(await uow.slots.list(SlotFilters(status=F), limit=2, offset=1))
    assert (page.total, page.limit, page.offset, len(page.items)) == (5, 2, 1, 2)


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        (SlotFilters(start_from=datetime(2031, 1, 1)), "start_from"),
        (SlotFilters(start_to=datetime(2031, 1, 1)), "start_to"),
        (SlotFilters(status="taken"), "status"),  # type: ignore[arg-type]
    ],
)
async def test_list_rejects_bad_filters(
    make_uow: MakeUow, filters: SlotFilters, field: str
) -> None:
    async with make_uow() as uow:
        err = error(await uow.slots.list(filters))
    assert isinstance(err, ValidationError)
    assert err.field == field


@pytest.mark.parametrize(("limit", "offset"), [(0, 0), (501, 0), (1, -1)])
async def test_list_rejects_a_bad_page(make_uow: MakeUow, limit: int, offset: int) -> None:
    async with make_uow() as uow:
        assert isinstance(error(await uow.slots.list(limit=limit, offset=offset)), ValidationError)


# --- what comes back -------------------------------------------------------------------------


async def test_times_and_status_come_back_as_they_went_in(make_uow: MakeUow) -> None:
    plus5 = timezone(timedelta(hours=5))
    start = datetime(2031, 5, 6, 14, 30, 15, 123456, tzinfo=plus5)
    async with make_uow() as uow:
        owner = await recruiter(uow)
        made = await slot(uow, owner, start, duration=45)
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.slots.get(made.id))
    assert again.start_utc == start
    assert again.start_utc.utcoffset() == timedelta(0)
    assert again.end_utc == start + timedelta(minutes=45)
    assert again.created_at.tzinfo is not None and again.updated_at.tzinfo is not None
    assert again.status is SlotStatus.FREE
    assert again.version == 1


async def test_update_keeps_end_in_step_and_bumps_the_version(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        made = await slot(uow, owner, T0, duration=30)
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.slots.get(made.id))
        loaded.duration_min = 90
        ok(await uow.slots.update(loaded))
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.slots.get(made.id))
    assert again.end_utc == at(1.5)
    assert again.version == 2


async def test_a_stale_update_is_a_conflict(make_uow: MakeUow) -> None:
    """Optimistic concurrency: an entity read before someone else's write (a cached or
    detached copy) cannot overwrite that write."""
    async with make_uow() as uow:
        owner = await recruiter(uow)
        made = await slot(uow, owner)
        await uow.commit()
    async with make_uow() as uow:
        stale = ok(await uow.slots.get(made.id))
    async with make_uow() as uow:
        fresh = ok(await uow.slots.get(made.id))
        fresh.book(1, "Them")
        ok(await uow.slots.update(fresh))
        await uow.commit()
    stale.cancel()
    async with make_uow() as uow:
        err = error(await uow.slots.update(stale))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "version"
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.get(made.id)).status is P


@pytest.mark.real_services
async def test_a_concurrent_update_is_a_conflict(make_uow: MakeUow) -> None:
    """Two open transactions (PostgreSQL; SQLite serialises writers): the later write loses."""
    async with make_uow() as uow:
        owner = await recruiter(uow)
        made = await slot(uow, owner)
        await uow.commit()
    async with make_uow() as first:
        mine = ok(await first.slots.get(made.id))
        async with make_uow() as second:
            theirs = ok(await second.slots.get(made.id))
            theirs.book(1, "Them")
            ok(await second.slots.update(theirs))
            await second.commit()
        mine.cancel()
        err = error(await first.slots.update(mine))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "version"
        await first.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.get(made.id)).status is P


# --- locks -----------------------------------------------------------------------------------


async def test_get_for_update_reads_the_latest_row(make_uow: MakeUow, board: Board) -> None:
    """A slot already in the session is refreshed, not served from the identity map."""
    async with make_uow() as uow:
        first = ok(await uow.slots.get(board["a_free_0"]))
        # Someone changes the row behind the session's back (raw SQL, as another process would).
        await uow.session.execute(
            update(Slot)
            .where(Slot.id == board["a_free_0"])
            .values(status="pending", candidate_telegram_id=99, candidate_name="Racer")
            .execution_options(synchronize_session=False)
        )
        assert ok(await uow.slots.get(board["a_free_0"])).status is F  # the identity map
        locked = ok(await uow.slots.get_for_update(board["a_free_0"]))
        assert locked is first  # the same identity, refreshed in place
        assert (locked.status, locked.candidate_telegram_id) == (P, 99)
        assert locked.recruiter.name == "Anna"


@pytest.mark.real_services
async def test_get_for_update_waits_for_the_lock_holder(make_uow: MakeUow, board: Board) -> None:
    """PostgreSQL: a second locker sees the first one's committed change, not its old read."""
    async with make_uow() as first:
        locked = ok(await first.slots.get_for_update(board["a_free_0"]))

        async def second_locker() -> SlotStatus:
            async with make_uow() as second:
                return ok(await second.slots.get_for_update(board["a_free_0"])).status

        waiting = asyncio.create_task(second_locker())
        await asyncio.sleep(0.2)
        assert not waiting.done()
        locked.book(5, "First")
        ok(await first.slots.update(locked))
        await first.commit()
    assert await asyncio.wait_for(waiting, 10) is P


async def test_get_for_update_of_a_missing_slot(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        assert isinstance(error(await uow.slots.get_for_update(987_654)), NotFoundError)


async def test_lock_many_returns_existing_slots_in_id_order(
    make_uow: MakeUow, board: Board
) -> None:
    wanted = [board["b_free_2"], board["a_free_0"], 987_654, board["a_free_0"]]
    async with make_uow() as uow:
        locked = ok(await uow.slots.lock_many(wanted))
        assert ids(locked) == sorted({board["b_free_2"], board["a_free_0"]})
        assert {s.recruiter.name for s in locked} == {"Anna", "Boris"}
        assert list(ok(await uow.slots.lock_many([]))) == []


# --- overlaps --------------------------------------------------------------------------------


async def test_overlapping(make_uow: MakeUow, board: Board) -> None:
    anna = board.anna.id
    async with make_uow() as uow:
        # [02:30, 03:30) touches a_free_2 (02-03) and the canceled 03-04, which does not count.
        found = ok(await uow.slots.overlapping(anna, at(2.5), at(3.5)))
        assert ids(found) == [board["a_free_2"]]
        # Half-open: a slot ending at 02:00 and one starting at 03:00 do not overlap [02, 03).
        assert ids(ok(await uow.slots.overlapping(anna, at(2), at(3)))) == [board["a_free_2"]]
        around = ok(await uow.slots.overlapping(anna, at(-1), at(10)))
        assert sorted(ids(around)) == sorted(
            board[n] for n in ("a_free_0", "a_pending_1", "a_free_2", "a_free_5")
        )
        excluded = ok(await uow.slots.overlapping(anna, at(2), at(3), board["a_free_2"]))
        assert list(excluded) == []


async def test_overlapping_slots_of_one_recruiter_are_a_conflict(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        for start, minutes in [(at(2.5), 60), (at(1.99), 10), (at(-1), 480), (at(2), 60)]:
            err = error(
                await uow.slots.add(
                    Slot(recruiter_id=board.anna.id, start_utc=start, duration_min=minutes)
                )
            )
            assert isinstance(err, ConflictError), (start, minutes)
            assert err.conflicting_field == "start_utc"
        # The unit of work survived every conflict.
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 9


async def test_adjacent_slots_and_other_recruiters_do_not_conflict(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        ok(await uow.slots.add(Slot(recruiter_id=board.anna.id, start_utc=at(4), duration_min=60)))
        ok(await uow.slots.add(Slot(recruiter_id=board.anna.id, start_utc=at(6), duration_min=10)))
        ok(await uow.slots.add(Slot(recruiter_id=board.boris.id, start_utc=at(5), duration_min=60)))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 12


async def test_a_canceled_slot_does_not_block_its_time(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        ok(await uow.slots.add(Slot(recruiter_id=board.anna.id, start_utc=at(3), duration_min=60)))
        await uow.commit()


async def test_moving_a_slot_onto_another_is_a_conflict(make_uow: MakeUow, board: Board) -> None:
    async with make_uow() as uow:
        moved = ok(await uow.slots.get(board["a_free_5"]))
        moved.start_utc = at(2.5)
        err = error(await uow.slots.update(moved))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "start_utc"
        assert moved.start_utc == at(5)  # the rejected move is undone in memory as well
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.get(board["a_free_5"])).start_utc == at(5)


async def test_canceled_slots_may_overlap_each_other(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        await slot(uow, owner, at(0), status=X)
        await slot(uow, owner, at(0), status=X)
        await slot(uow, owner, at(0))
        assert ok(await uow.slots.count()) == 3


# --- one active slot per candidate and recruiter -------------------------------------------


async def test_a_candidate_holds_one_active_slot_per_recruiter(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        second = ok(await uow.slots.get(board["a_free_2"]))
        second.book(7, "Seven")  # candidate 7 already holds a_pending_1 with Anna
        err = error(await uow.slots.update(second))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "candidate_telegram_id"
        assert second.status is F and second.candidate_telegram_id is None
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.get(board["a_free_2"])).status is F


@pytest.mark.parametrize("status", [B, C])
async def test_any_active_status_counts(make_uow: MakeUow, status: SlotStatus) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        await slot(uow, owner, at(0), status=status, candidate=5)
        err = error(
            await uow.slots.add(_booked(owner, at(2), candidate=5)),
        )
        assert isinstance(err, ConflictError)


def _booked(owner: Recruiter, start: datetime, candidate: int) -> Slot:
    new = Slot(recruiter_id=owner.id, start_utc=start, duration_min=60)
    new.book(candidate, "Candidate")
    return new


async def test_the_same_candidate_may_hold_slots_of_different_recruiters(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        # Candidate 7 holds a_pending_1 (Anna) and b_booked_1 (Boris) already: that is fine.
        assert len(ok(await uow.slots.get_upcoming_for_candidate(7, at(-100)))) == 2


async def test_after_release_or_cancel_the_candidate_may_book_again(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        held = ok(await uow.slots.get(board["a_pending_1"]))
        held.cancel()
        ok(await uow.slots.update(held))
        again = ok(await uow.slots.get(board["a_free_2"]))
        again.book(7, "Seven")
        ok(await uow.slots.update(again))
        again.release(7)
        ok(await uow.slots.update(again))
        third = ok(await uow.slots.get(board["a_free_5"]))
        third.book(7, "Seven")
        ok(await uow.slots.update(third))
        await uow.commit()
    async with make_uow() as uow:
        upcoming = ok(await uow.slots.get_upcoming_for_candidate(7, at(-100)))
        assert sorted(ids(upcoming)) == sorted([board["a_free_5"], board["b_booked_1"]])


async def test_the_database_refuses_a_free_slot_with_a_candidate(make_uow: MakeUow) -> None:
    """The check constraints back the domain rules up, whatever code writes the row."""
    async with make_uow() as uow:
        owner = await recruiter(uow)
        broken = Slot(recruiter_id=owner.id, start_utc=T0, candidate_telegram_id=5)
        assert isinstance(error(await uow.slots.add(broken)), ConflictError)
        no_holder = Slot(recruiter_id=owner.id, start_utc=T0, status=P)
        assert isinstance(error(await uow.slots.add(no_holder)), ConflictError)
        assert ok(await uow.slots.count()) == 0


async def test_a_city_going_away_leaves_its_slots_without_a_city(
    make_uow: MakeUow, board: Board
) -> None:
    async with make_uow() as uow:
        ok(await uow.cities.delete(board.moscow))
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.slots.get(board["a_free_0"]))
        assert again.city_id is None and again.city is None


def test_utc_constant_is_utc() -> None:
    assert T0.tzinfo is UTC


# --- add_many ------------------------------------------------------------------------------


def _hourly(owner: Recruiter, count: int, first: float = 0) -> list[Slot]:
    return [Slot(recruiter_id=owner.id, start_utc=at(first + i)) for i in range(count)]


async def test_add_many_stores_a_batch_with_one_flush(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        flushes: list[object] = []
        event.listen(uow.session.sync_session, "after_flush", lambda *args: flushes.append(args))
        added = ok(await uow.slots.add_many(_hourly(owner, 20)))
        assert len(flushes) == 1
        assert len({s.id for s in added}) == 20
        assert all(s.end_utc == s.start_utc + timedelta(minutes=60) for s in added)
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 20


async def test_add_many_refuses_the_whole_batch_when_one_slot_is_invalid(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        batch = _hourly(owner, 3)
        batch[1].duration_min = 5
        problem = error(await uow.slots.add_many(batch))
        assert isinstance(problem, ValidationError) and problem.field == "duration_min"
        assert ok(await uow.slots.count()) == 0


async def test_add_many_refuses_an_overlapping_batch_and_the_unit_of_work_goes_on(
    make_uow: MakeUow,
) -> None:
    async with make_uow() as uow:
        owner = await recruiter(uow)
        clash = [*_hourly(owner, 2), Slot(recruiter_id=owner.id, start_utc=at(0.5))]
        assert isinstance(error(await uow.slots.add_many(clash)), ConflictError)
        ok(await uow.slots.add_many(_hourly(owner, 2, first=10)))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.slots.count()) == 2
