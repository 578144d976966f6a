"""The in-memory changes of a loaded entity: taken out, put back, or dropped, without I/O.

Why: ``Session.begin_nested()`` flushes everything dirty *before* it emits SAVEPOINT, so an
``update()`` whose row violates a constraint would fail outside the savepoint and break the
whole unit of work. The repository takes the entity's changes out, opens the savepoint, puts
them back and flushes inside it. After a rejected write the entity is reset to the values the
database still holds, so a later flush cannot write the rejected change after all.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import LoaderCallableStatus
from sqlalchemy.orm.attributes import set_committed_value

_UNKNOWN = LoaderCallableStatus.NO_VALUE


@dataclass(frozen=True, slots=True)
class Changes:
    """What differs between a persistent entity and its row, and the row's loaded values."""

    entity: Any
    #: attribute -> (value in the database, value in memory)
    changed: dict[str, tuple[Any, Any]]
    #: every loaded attribute -> its value in the database
    committed: dict[str, Any]

    @classmethod
    def of(cls, entity: Any) -> Changes:
        state = inspect(entity)
        if not state.persistent:
            return cls(entity, {}, {})
        changed: dict[str, tuple[Any, Any]] = {}
        for key, original in state.committed_state.items():
            current = state.dict.get(key, _UNKNOWN)
            if original is _UNKNOWN or current is _UNKNOWN:
                continue  # the old value was never loaded: it stays dirty as it is
            if state.manager[key].impl.collection:
                current = list(current)
            changed[key] = (original, current)
        committed = {k: _plain(v) for k, v in state.dict.items() if k in state.manager}
        committed.update({key: old for key, (old, _new) in changed.items()})
        return cls(entity, changed, committed)

    def take_out(self) -> None:
        """Make the entity look unchanged (its changes are kept here)."""
        for key, (old, _new) in self.changed.items():
            set_committed_value(self.entity, key, old)

    def put_back(self) -> None:
        for key, (_old, new) in self.changed.items():
            setattr(self.entity, key, new)

    def reset(self) -> None:
        """Give the entity the values its row still has (after a rollback expired them)."""
        for key, value in self.committed.items():
            set_committed_value(self.entity, key, value)


def _plain(value: Any) -> Any:
    """A loaded collection as a plain list, so that it can be set again later."""
    return list(value) if isinstance(value, list) else value


def discard_changes(entity: Any) -> None:
    """Drop the unflushed changes of a persistent entity (a rejected update leaves no trace)."""
    Changes.of(entity).take_out()
