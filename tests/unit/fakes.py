"""Hand-written fakes of the data layer, so the use cases in ``slotwise.services`` run in memory.

In the style of *Architecture Patterns with Python*: a ``FakeUnitOfWork`` whose repositories
implement exactly the methods the services call, with the same ``Success``/``Failure`` values
as the real ones. ``FakeDatabase`` holds the committed rows that every unit of work shares,
as the real database does; a unit of work sees them read-committed, with its own writes laid
over them, and publishes those writes only when it commits.

Two deliberate strictnesses make the fakes catch what the real stack would let slip:

* Only repository writes (``add``/``update``/``delete``) reach the rows. A service that mutates
  an entity and forgets ``update()`` (which would skip the cache invalidation in production)
  loses the change here, and its test fails.
* There is no ``session``: a service that reaches past the repositories raises AttributeError.

The unique and exclusion constraints the services rely on (one active slot per candidate and
recruiter, no overlapping slots, unique names and keys) are checked on write and reported with
the messages ``slotwise.persistence.repository.errors.classify`` gives their database counterparts.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Generic, TypeVar, cast

from sqlalchemy import inspect as sa_inspect

from slotwise.domain.audit import SlotEvent
from slotwise.domain.models import (
    ACTIVE_STATUSES,
    City,
    Entity,
    Recruiter,
    Slot,
    SlotStatus,
    Template,
    User,
)
from slotwise.result import (
    ConflictError,
    Error,
    Failure,
    NotFoundError,
    Result,
    Success,
    ValidationError,
)
from slotwise.services.ports import UowFactory

E = TypeVar("E", bound=Entity)

Row = dict[str, Any]
#: Recruiter rows carry their cities' ids under this key (the association table, folded in).
CITY_IDS = "city_ids"
MODELS: tuple[type[Entity], ...] = (City, Recruiter, Slot, Template, User, SlotEvent)


def columns(model: type[Entity]) -> list[str]:
    return [prop.key for prop in sa_inspect(model).column_attrs]


class FakeDatabase:
    """Committed rows per model, id sequences (never rolled back), and what was published."""

    def __init__(self) -> None:
        self.tables: dict[type[Entity], dict[int, Row]] = {model: {} for model in MODELS}
        self._next_id: dict[type[Entity], int] = dict.fromkeys(MODELS, 1)
        #: After-commit actions that ran, as "<Model>:<operation>:<id>" (the cache
        #: invalidations of production would run at these moments).
        self.published: list[str] = []
        self.units: list[FakeUnitOfWork] = []
        #: Run once right before the next insert of a model: "another transaction commits now".
        self.before_insert: dict[type[Entity], Callable[[], None]] = {}
        #: When set, the next ``try_commit`` fails with this error (a lost connection, a
        #: deferred constraint) and nothing is published.
        self.commit_error: Error | None = None

    # --- for the services ------------------------------------------------------------------

    @property
    def uow_factory(self) -> UowFactory:
        """What a service takes to open its transaction; every unit opened is kept in ``units``.

        Type-checked against the services' port (``slotwise.services.ports.UnitOfWork``), which
        the fake satisfies structurally, as the real unit of work does.
        """
        return self._open

    def _open(self) -> FakeUnitOfWork:
        uow = FakeUnitOfWork(self)
        self.units.append(uow)
        return uow

    def next_id(self, model: type[Entity]) -> int:
        ident = self._next_id[model]
        self._next_id[model] = ident + 1
        return ident

    # --- for the tests ---------------------------------------------------------------------

    @property
    def last_uow(self) -> FakeUnitOfWork:
        assert self.units, "no unit of work was opened"
        return self.units[-1]

    @property
    def commits(self) -> int:
        return sum(uow.commits for uow in self.units)

    def seed(self, entity: E) -> E:
        """Store ``entity`` as committed (test set-up); it gets an id like an insert would."""
        model = type(entity)
        if getattr(entity, "id", None) is None:
            entity.id = self.next_id(model)  # type: ignore[attr-defined]
        else:
            self._next_id[model] = max(self._next_id[model], entity.id + 1)  # type: ignore[attr-defined]
        row = to_row(entity)
        self.tables[model][row["id"]] = row
        return entity

    def row(self, model: type[Entity], ident: int) -> Row | None:
        """The committed row, as a copy (what a fresh transaction would read)."""
        found = self.tables[model].get(ident)
        return dict(found) if found is not None else None

    def load(self, model: type[E], ident: int) -> E:
        """A fresh entity built from the committed row (fails the test when there is none)."""
        row = self.row(model, ident)
        assert row is not None, f"{model.__name__} {ident} is not in the database"
        return build(model, row, self.tables)

    def events(self) -> list[SlotEvent]:
        """The committed audit trail, oldest first."""
        return [self.load(SlotEvent, ident) for ident in sorted(self.tables[SlotEvent])]

    def count(self, model: type[Entity]) -> int:
        return len(self.tables[model])


def to_row(entity: Entity) -> Row:
    model = type(entity)
    row: Row = {key: getattr(entity, key) for key in columns(model)}
    if (
        isinstance(entity, Slot)
        and isinstance(entity.start_utc, datetime)
        and isinstance(entity.duration_min, int)
    ):
        row["end_utc"] = entity.compute_end()  # the mapper event's job in production
    if isinstance(entity, Recruiter):
        row[CITY_IDS] = tuple(sorted(city.id for city in entity.cities))
    return row


def build(model: type[E], row: Row, tables: dict[type[Entity], dict[int, Row]]) -> E:
    values = {k: v for k, v in row.items() if k != CITY_IDS}
    if model is Recruiter:
        city_rows = tables[City]
        values["cities"] = [City(**city_rows[i]) for i in row.get(CITY_IDS, ()) if i in city_rows]
    return model(**values)


class FakeUnitOfWork:
    """One transaction over a ``FakeDatabase``: its writes are visible to itself only until
    ``commit()``; after-commit actions run on commit and are dropped otherwise."""

    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.writes: dict[type[Entity], dict[int, Row | None]] = {model: {} for model in MODELS}
        self.identity: dict[tuple[type[Entity], int], Entity] = {}
        self._before_commit: list[Callable[[], Any]] = []
        self._after_commit: list[Callable[[], Any]] = []
        self.info: dict[str, Any] = {}
        self.commits = 0
        self.flushes = 0
        self.rolled_back = False
        self.closed = False
        #: Ids of the slots this unit row-locked (``get_for_update``, ``lock_many``, ...).
        self.locked: list[int] = []
        #: Every row lock of any repository (``get_for_update``, a recruiter's slots), in
        #: order: (model, id).
        self.locks: list[tuple[type[Entity], int]] = []
        self.cities = FakeCityRepository(self)
        self.recruiters = FakeRecruiterRepository(self)
        self.slots = FakeSlotRepository(self)
        self.templates = FakeTemplateRepository(self)
        self.users = FakeUserRepository(self)
        self.slot_events = FakeSlotEventRepository(self)

    @property
    def committed(self) -> bool:
        return self.commits > 0

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._has_pending() or not self.committed:
            self.rolled_back = True
        self._discard()
        self.closed = True

    def _has_pending(self) -> bool:
        return any(self.writes.values()) or bool(self._after_commit)

    def _discard(self) -> None:
        self.writes = {model: {} for model in MODELS}
        self._before_commit.clear()
        self._after_commit.clear()

    # --- the UnitOfWork surface the services use -----------------------------------------

    def before_commit(self, action: Callable[[], Any]) -> None:
        self._before_commit.append(action)

    def after_commit(self, action: Callable[[], Any], *, also_if_unsure: bool = False) -> None:
        self._after_commit.append(action)

    @property
    def pending_after_commit(self) -> int:
        return len(self._after_commit)

    async def commit(self) -> None:
        assert not self.closed, "commit on a closed unit of work"
        for before in list(self._before_commit):
            await before()
        for model, rows in self.writes.items():
            table = self.db.tables[model]
            for ident, row in rows.items():
                if row is None:
                    table.pop(ident, None)
                else:
                    table[ident] = dict(row)
        actions = list(self._after_commit)
        self._discard()
        self.commits += 1
        for action in actions:
            await action()

    async def try_commit(self) -> Result[None, Error]:
        error, self.db.commit_error = self.db.commit_error, None
        if error is not None:
            self._discard()
            self.rolled_back = True
            return Failure(error)
        await self.commit()
        return Success(None)

    async def rollback(self) -> None:
        self._discard()
        self.rolled_back = True

    async def flush(self) -> None:
        self.flushes += 1

    # --- rows as this transaction sees them ----------------------------------------------

    def _rows(self, model: type[Entity]) -> dict[int, Row]:
        merged = dict(self.db.tables[model])
        for ident, row in self.writes[model].items():
            if row is None:
                merged.pop(ident, None)
            else:
                merged[ident] = row
        return merged

    def _visible(self) -> dict[type[Entity], dict[int, Row]]:
        return {model: self._rows(model) for model in MODELS}

    def _write(self, model: type[Entity], ident: int, row: Row | None, operation: str) -> None:
        self.writes[model][ident] = None if row is None else dict(row)
        event = f"{model.__name__}:{operation}:{ident}"

        async def publish() -> None:
            self.db.published.append(event)

        self.after_commit(publish)


class FakeRepository(Generic[E]):
    """The generic CRUD of ``BaseRepository`` over the unit of work's rows."""

    model: type[E]

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    @property
    def entity_type(self) -> str:
        return self.model.__name__

    def _entity(self, ident: int, *, refresh: bool = False) -> E | None:
        """The entity for ``ident`` (one object per id and unit, like a session's identity
        map); ``refresh`` reloads its fields from the row (``populate_existing``)."""
        row = self.uow._rows(self.model).get(ident)
        key = (self.model, ident)
        if row is None:
            self.uow.identity.pop(key, None)
            return None
        known = self.uow.identity.get(key)
        if known is not None and not refresh:
            return cast(E, known)
        fresh = build(self.model, row, self.uow._visible())
        if known is None:
            self.uow.identity[key] = fresh
            return fresh
        for name in columns(self.model):
            setattr(known, name, getattr(fresh, name))
        if isinstance(known, Recruiter) and isinstance(fresh, Recruiter):
            known.cities = fresh.cities
        return cast(E, known)

    def _found(self, ident: int, *, refresh: bool = False) -> Result[E, Error]:
        entity = self._entity(ident, refresh=refresh)
        if entity is None:
            return Failure(NotFoundError(self.entity_type, ident))
        return Success(entity)

    def _where(self, test: Callable[[Row], bool]) -> list[E]:
        rows = self.uow._rows(self.model)
        found = [self._entity(ident) for ident in sorted(rows) if test(rows[ident])]
        return [entity for entity in found if entity is not None]

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        """The unique/exclusion constraint ``row`` would violate among ``others``, if any."""
        return None

    def _check(self, entity: E, row: Row) -> Failure[Error] | None:
        problems = getattr(entity, "problems", None)
        if problems is not None and (found := problems()):
            first = found[0]
            return Failure(ValidationError(first.field, first.message, first.value))
        others = [r for i, r in self.uow._rows(self.model).items() if i != row.get("id")]
        if (conflict := self._conflict(row, others)) is not None:
            return Failure(conflict)
        return None

    # --- the repository surface the services use -----------------------------------------

    async def get(self, id: int) -> Result[E, Error]:
        return self._found(id)

    async def exists(self, id: int) -> Result[bool, Error]:
        return Success(id in self.uow._rows(self.model))

    async def add(self, entity: E) -> Result[E, Error]:
        hook = self.uow.db.before_insert.pop(self.model, None)
        if hook is not None:
            hook()
        row = to_row(entity)
        if (invalid := self._check(entity, row)) is not None:
            return invalid
        ident = self.uow.db.next_id(self.model)
        entity.id = ident  # type: ignore[attr-defined]
        row["id"] = ident
        self._stamp_new(entity, row)
        self.uow._write(self.model, ident, row, "add")
        self.uow.identity[(self.model, ident)] = entity
        return Success(entity)

    async def update(self, entity: E) -> Result[E, Error]:
        ident = getattr(entity, "id", None)
        if ident is None or ident not in self.uow._rows(self.model):
            return Failure(
                ConflictError(
                    self.entity_type,
                    f"{self.entity_type} was changed or removed by another request",
                    "version",
                )
            )
        row = to_row(entity)
        if (invalid := self._check(entity, row)) is not None:
            return invalid
        self._stamp_update(entity, row)
        self.uow._write(self.model, ident, row, "update")
        self.uow.identity[(self.model, ident)] = entity
        return Success(entity)

    async def delete(self, id: int) -> Result[bool, Error]:
        if id not in self.uow._rows(self.model):
            return Failure(NotFoundError(self.entity_type, id))
        self._cascade(id)
        self.uow._write(self.model, id, None, "delete")
        self.uow.identity.pop((self.model, id), None)
        return Success(True)

    # --- what the database would do on its own ---------------------------------------------

    def _stamp_new(self, entity: E, row: Row) -> None:
        """Column defaults applied at INSERT."""

    def _stamp_update(self, entity: E, row: Row) -> None:
        """Columns the database (or a mapper event) changes on UPDATE."""

    def _cascade(self, ident: int) -> None:
        """ON DELETE CASCADE / SET NULL of the rows that reference ``ident``."""


class FakeLockingRepository(FakeRepository[E]):
    """``LockingReads.get_for_update``: the row refreshed, and the lock recorded."""

    async def get_for_update(self, id: int) -> Result[E, Error]:
        self.uow.locks.append((self.model, id))
        return self._found(id, refresh=True)


class FakeCityRepository(FakeLockingRepository[City]):
    model = City

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        if any(other["name"] == row["name"] for other in others):
            return ConflictError("City", "a city with this name already exists", "name")
        return None


class FakeRecruiterRepository(FakeLockingRepository[Recruiter]):
    model = Recruiter

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        chat = row["telegram_chat_id"]
        if chat is not None and any(other["telegram_chat_id"] == chat for other in others):
            return ConflictError(
                "Recruiter",
                "a recruiter with this telegram_chat_id already exists",
                "telegram_chat_id",
            )
        return None

    def _cascade(self, ident: int) -> None:
        for slot_id, slot in self.uow._rows(Slot).items():
            if slot["recruiter_id"] == ident:
                self.uow._write(Slot, slot_id, None, "delete")
        for city_id, city in self.uow._rows(City).items():
            if city["responsible_recruiter_id"] == ident:
                self.uow._write(City, city_id, {**city, "responsible_recruiter_id": None}, "update")

    async def has_active_bookings(self, recruiter_id: int) -> Result[bool, Error]:
        return Success(
            any(
                slot["recruiter_id"] == recruiter_id
                and SlotStatus(slot["status"]) in ACTIVE_STATUSES
                for slot in self.uow._rows(Slot).values()
            )
        )

    async def load_cities(self, city_ids: Sequence[int]) -> Result[Sequence[City], Error]:
        cities = self.uow.cities
        found = [cities._entity(ident) for ident in city_ids]
        return Success([city for city in found if city is not None])


def _overlaps(a: Row, b: Row) -> bool:
    return bool(a["start_utc"] < b["end_utc"] and b["start_utc"] < a["end_utc"])


class FakeSlotRepository(FakeLockingRepository[Slot]):
    model = Slot

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        status = SlotStatus(row["status"])
        mine = [other for other in others if other["recruiter_id"] == row["recruiter_id"]]
        if status in ACTIVE_STATUSES and any(
            SlotStatus(other["status"]) in ACTIVE_STATUSES
            and other["candidate_telegram_id"] == row["candidate_telegram_id"]
            for other in mine
        ):
            return ConflictError(
                "Slot",
                "candidate already holds an active slot with this recruiter",
                "candidate_telegram_id",
            )
        if status is not SlotStatus.CANCELED and any(
            SlotStatus(other["status"]) is not SlotStatus.CANCELED and _overlaps(row, other)
            for other in mine
        ):
            return ConflictError(
                "Slot", "slot overlaps another slot of this recruiter", "start_utc"
            )
        return None

    def _stamp_new(self, entity: Slot, row: Row) -> None:
        entity.end_utc = row["end_utc"]
        entity.version = row["version"] = 1

    def _stamp_update(self, entity: Slot, row: Row) -> None:
        entity.end_utc = row["end_utc"]
        entity.version = row["version"] = (row["version"] or 0) + 1

    async def get_for_update(self, id: int) -> Result[Slot, Error]:
        self.uow.locked.append(id)
        return await super().get_for_update(id)

    async def lock_many(self, ids: Sequence[int]) -> Result[Sequence[Slot], Error]:
        wanted = sorted(set(ids))
        self.uow.locked.extend(wanted)
        found = [self._entity(ident, refresh=True) for ident in wanted]
        return Success([slot for slot in found if slot is not None])

    async def lock_for_recruiter(self, recruiter_id: int) -> Result[Sequence[int], Error]:
        ids = [slot.id for slot in self._where(lambda row: row["recruiter_id"] == recruiter_id)]
        self.uow.locked.extend(ids)
        self.uow.locks.extend((Slot, ident) for ident in ids)
        return Success(ids)


class FakeTemplateRepository(FakeLockingRepository[Template]):
    model = Template

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        if any(o["city_id"] == row["city_id"] and o["key"] == row["key"] for o in others):
            scope = "for the city" if row["city_id"] is not None else "(global)"
            return ConflictError(
                "Template", f"a template with this key already exists {scope}", "key"
            )
        return None


class FakeUserRepository(FakeRepository[User]):
    model = User

    def _conflict(self, row: Row, others: list[Row]) -> ConflictError | None:
        if any(other["telegram_id"] == row["telegram_id"] for other in others):
            return ConflictError(
                "User", "a candidate with this telegram_id already exists", "telegram_id"
            )
        return None

    async def load_by_telegram_id(self, telegram_id: int) -> Result[User, Error]:
        found = self._where(lambda row: row["telegram_id"] == telegram_id)
        if not found:
            return Failure(NotFoundError(self.entity_type, telegram_id))
        return Success(found[0])


class FakeSlotEventRepository:
    """The append-only audit trail (``SlotEventRepository``): ``add`` only. An event is part
    of its transaction's writes (dropped on rollback) and publishes nothing after commit, as
    the real one invalidates no cache."""

    def __init__(self, uow: FakeUnitOfWork) -> None:
        self.uow = uow

    async def add(self, entity: SlotEvent) -> Result[SlotEvent, Error]:
        entity.id = self.uow.db.next_id(SlotEvent)
        entity.at = datetime.now(UTC)  # the column default in production
        self.uow.writes[SlotEvent][entity.id] = to_row(entity)
        return Success(entity)
