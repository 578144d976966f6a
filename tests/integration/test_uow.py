"""UnitOfWork: one transaction, commit / rollback, and after-commit actions.

The after-commit actions are what the cache's invalidation relies on: they must run only once
the data is durable (so that no reader can refill the cache with a row about to change), and
never for a transaction that rolled back.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from slotwise.domain.models import City, Recruiter
from slotwise.persistence.repository.base import BaseRepository
from slotwise.persistence.uow import BaseUnitOfWork, current_uow
from slotwise.repositories import UnitOfWork
from slotwise.result import (
    ConflictError,
    DatabaseError,
    Failure,
    NotFoundError,
    Success,
)

from .foundation_data import city, error, ok, recruiter

MakeUow = Callable[[], UnitOfWork]


async def city_names(make_uow: MakeUow) -> list[str]:
    async with make_uow() as uow:
        return [c.name for c in ok(await uow.cities.get_all())]


async def test_no_argument_unit_of_work_uses_the_configured_database(engine: AsyncEngine) -> None:
    """The user's document: ``async with UnitOfWork() as uow:`` and ``match`` on the result."""
    async with UnitOfWork() as uow:
        await uow.recruiters.add(Recruiter(name="Anna", timezone="Europe/Moscow"))
        await uow.commit()

    async with UnitOfWork() as uow:
        result = await uow.recruiters.get_active()
        match result:
            case Success(recruiters):
                seen = [r.name for r in recruiters]
            case Failure(error):
                raise AssertionError(error)
        match await uow.recruiters.get(987_654):
            case Success(_):
                raise AssertionError("there is no recruiter 987654")
            case Failure(NotFoundError() as e):
                missing = e.entity_id
    assert seen == ["Anna"]
    assert missing == 987_654
    assert uow.session.bind is engine


async def test_every_repository_shares_the_one_session(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        repos: list[BaseRepository[Any]] = [
            uow.recruiters,
            uow.cities,
            uow.slots,
            uow.templates,
            uow.users,
        ]
        assert {id(r.session) for r in repos} == {id(uow.session)}
        assert current_uow(uow.session) is uow


async def test_commit_makes_the_changes_visible_to_others(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        await uow.commit()
    assert await city_names(make_uow) == ["Moscow"]


async def test_work_after_a_commit_is_a_new_transaction(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        await uow.commit()
        await city(uow, "Berlin", timezone="Europe/Berlin")
        # leaves without a second commit
    assert await city_names(make_uow) == ["Moscow"]


async def test_rollback_discards_the_changes(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        await uow.rollback()
        await city(uow, "Berlin", timezone="Europe/Berlin")
        await uow.commit()
    assert await city_names(make_uow) == ["Berlin"]


async def test_leaving_without_commit_rolls_back(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        await uow.flush()
    assert await city_names(make_uow) == []


async def test_an_exception_rolls_back_and_propagates(make_uow: MakeUow) -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with make_uow() as uow:
            await city(uow, "Moscow")
            raise RuntimeError("boom")
    assert await city_names(make_uow) == []


async def test_what_was_read_stays_usable_after_the_block(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        anna = await recruiter(uow, "Anna", [await city(uow, "Moscow")])
        await uow.commit()
    async with make_uow() as uow:
        found = ok(await uow.recruiters.get(anna.id))
    assert (found.name, [c.name for c in found.cities]) == ("Anna", ["Moscow"])


async def test_flush_assigns_ids_without_committing(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = City(name="Moscow", timezone="Europe/Moscow")
        uow.session.add(moscow)
        await uow.flush()
        assert moscow.id is not None
        assert ok(await uow.cities.exists(moscow.id))
    assert await city_names(make_uow) == []


async def test_read_only_unit_of_work_reads(
    make_uow: MakeUow, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        await uow.commit()
    async with UnitOfWork(session_factory, read_only=True) as uow:
        assert [c.name for c in ok(await uow.cities.get_active())] == ["Moscow"]


async def test_the_generic_unit_of_work_owns_a_transaction_without_repositories(
    make_uow: MakeUow, session_factory: async_sessionmaker[AsyncSession]
) -> None:
    async with BaseUnitOfWork(session_factory) as base:
        assert current_uow(base.session) is base
        assert not hasattr(base, "recruiters")
        await base.session.execute(
            text("INSERT INTO cities (name, timezone) VALUES ('Kazan', 'UTC')")
        )
        await base.commit()
    assert await city_names(make_uow) == ["Kazan"]


async def test_info_lasts_one_transaction(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        uow.info["x"] = 1
        await uow.commit()
        assert uow.info == {}
        uow.info["x"] = 2
        await uow.rollback()
        assert uow.info == {}
        uow.info["x"] = 3
    assert uow.info == {}


async def test_a_snapshot_is_fresh_except_inside_a_sqlite_read_transaction(
    make_uow: MakeUow, session_factory: async_sessionmaker[AsyncSession], is_postgres: bool
) -> None:
    async with make_uow() as writer:
        assert writer.snapshot_is_fresh()  # no transaction yet
        await writer.cities.count()
        assert writer.session.in_transaction()
        assert writer.snapshot_is_fresh()  # PostgreSQL, or SQLite BEGIN IMMEDIATE
    async with UnitOfWork(session_factory, read_only=True) as reader:
        assert reader.snapshot_is_fresh()
        await reader.cities.count()
        # SQLite BEGIN DEFERRED keeps its first read's snapshot; PostgreSQL takes one per
        # statement.
        assert reader.snapshot_is_fresh() is is_postgres


# --- after-commit actions ------------------------------------------------------------------


class Recorder:
    """After-commit actions that record when they ran and what the database held then."""

    def __init__(self, make_uow: MakeUow) -> None:
        self.make_uow = make_uow
        self.calls: list[tuple[str, list[str]]] = []

    def action(self, name: str) -> Callable[[], Awaitable[None]]:
        async def run() -> None:
            # Another session sees the data already: the action runs after the commit.
            self.calls.append((name, await city_names(self.make_uow)))

        return run


async def test_after_commit_actions_run_after_the_commit_in_order(make_uow: MakeUow) -> None:
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        before = uow.pending_after_commit  # the cache may have queued its invalidation
        uow.after_commit(seen.action("first"))
        uow.after_commit(seen.action("second"))
        assert uow.pending_after_commit == before + 2
        assert seen.calls == []
        await uow.commit()
        assert seen.calls == [("first", ["Moscow"]), ("second", ["Moscow"])]
        assert uow.pending_after_commit == 0
        # They ran once: a later commit does not repeat them.
        await city(uow, "Berlin", timezone="Europe/Berlin")
        await uow.commit()
    assert len(seen.calls) == 2


async def test_after_commit_actions_are_dropped_on_rollback(make_uow: MakeUow) -> None:
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        uow.after_commit(seen.action("dropped"))
        await uow.rollback()
        assert uow.pending_after_commit == 0
        await city(uow, "Berlin", timezone="Europe/Berlin")
        uow.after_commit(seen.action("kept"))
        await uow.commit()
    assert seen.calls == [("kept", ["Berlin"])]


async def test_after_commit_actions_are_dropped_when_leaving_without_commit(
    make_uow: MakeUow,
) -> None:
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        uow.after_commit(seen.action("dropped"))
    assert seen.calls == []
    assert uow.pending_after_commit == 0


async def test_after_commit_actions_are_dropped_on_an_exception(make_uow: MakeUow) -> None:
    seen = Recorder(make_uow)
    with pytest.raises(RuntimeError):
        async with make_uow() as uow:
            uow.after_commit(seen.action("dropped"))
            raise RuntimeError("boom")
    assert seen.calls == []


async def test_a_failing_after_commit_action_does_not_lose_the_commit(
    make_uow: MakeUow, caplog: pytest.LogCaptureFixture
) -> None:
    seen = Recorder(make_uow)

    async def broken() -> None:
        raise ConnectionError("the cache is down")

    async with make_uow() as uow:
        await city(uow, "Moscow")
        uow.after_commit(broken)
        uow.after_commit(seen.action("after the broken one"))
        await uow.commit()  # does not raise
    assert await city_names(make_uow) == ["Moscow"]
    assert seen.calls == [("after the broken one", ["Moscow"])]
    assert "after-commit action failed" in caplog.text


async def test_try_commit_is_a_result(make_uow: MakeUow) -> None:
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        uow.after_commit(seen.action("ran"))
        assert await uow.try_commit() == Success(None)
    assert seen.calls == [("ran", ["Moscow"])]


@pytest.mark.real_services
async def test_a_failed_commit_is_a_failure_and_runs_nothing(
    make_uow: MakeUow, engine: AsyncEngine
) -> None:
    """The connection dies between the last write and COMMIT (PostgreSQL can show this)."""
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        pid = (await uow.session.execute(text("SELECT pg_backend_pid()"))).scalar_one()
        uow.after_commit(seen.action("must not run"))
        async with engine.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        result = await uow.try_commit()
    assert isinstance(result, Failure)
    assert isinstance(result.error, DatabaseError)
    assert seen.calls == []
    assert await city_names(make_uow) == []


# --- conflicts leave the unit of work usable ------------------------------------------------


async def test_a_duplicate_name_is_a_conflict_and_the_unit_of_work_goes_on(
    make_uow: MakeUow,
) -> None:
    seen = Recorder(make_uow)
    async with make_uow() as uow:
        await city(uow, "Moscow")
        uow.after_commit(seen.action("committed"))
        match await uow.cities.add(City(name="Moscow", timezone="Europe/Moscow")):
            case Failure(ConflictError(conflicting_field="name")):
                pass
            case other:
                raise AssertionError(other)
        await city(uow, "Berlin", timezone="Europe/Berlin")
        await uow.commit()
    assert await city_names(make_uow) == ["Moscow", "Berlin"]
    assert seen.calls == [("committed", ["Moscow", "Berlin"])]


async def test_several_conflicts_in_a_row(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await city(uow, "Moscow")
        for _ in range(3):
            err = error(await uow.cities.add(City(name="Moscow", timezone="UTC")))
            assert isinstance(err, ConflictError)
        assert ok(await uow.cities.count()) == 1
        await uow.commit()
    assert await city_names(make_uow) == ["Moscow"]
