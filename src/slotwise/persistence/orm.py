"""The domain classes mapped imperatively onto the tables of ``persistence.schema``.

Importing this module maps them, exactly once; ``slotwise.persistence`` imports it, so every
path to the database (app, CLI, repositories, Alembic) maps before its first ORM use.

Relationships are ``lazy="raise"``: an attribute that was not loaded explicitly fails loudly
instead of doing hidden I/O (which async SQLAlchemy cannot do anyway). The reverse sides are
read-only views: writes go through Recruiter.cities, Slot.recruiter_id and Template.city_id. A
writable backref would mark a loaded City dirty whenever a new Recruiter names it, and the
repository's SAVEPOINT flush would then start outside the savepoint.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import registry, relationship

from slotwise.domain.audit import SlotEvent
from slotwise.domain.entity import Entity
from slotwise.domain.models import City, Recruiter, Slot, Template, User
from slotwise.persistence.schema.tables import (
    cities,
    metadata,
    recruiter_cities,
    recruiters,
    slot_events,
    slots,
    templates,
    users,
)

__all__ = ["Base", "mapper_registry", "metadata", "recruiter_cities"]

#: The common base of every mapped class (``isinstance(x, Base)``: "is x an entity").
Base = Entity

mapper_registry = registry(metadata=metadata)

mapper_registry.map_imperatively(
    City,
    cities,
    properties={
        "recruiters": relationship(
            Recruiter,
            secondary=recruiter_cities,
            back_populates="cities",
            lazy="raise",
            viewonly=True,
        ),
        "templates": relationship(Template, back_populates="city", lazy="raise", viewonly=True),
    },
)
mapper_registry.map_imperatively(
    Recruiter,
    recruiters,
    properties={
        "cities": relationship(
            City,
            secondary=recruiter_cities,
            back_populates="recruiters",
            lazy="raise",
            passive_deletes=True,
        ),
        "slots": relationship(Slot, back_populates="recruiter", lazy="raise", viewonly=True),
    },
)
mapper_registry.map_imperatively(
    Slot,
    slots,
    properties={
        "recruiter": relationship(Recruiter, back_populates="slots", lazy="raise"),
        "city": relationship(City, lazy="raise"),
    },
    version_id_col=slots.c.version,
)
mapper_registry.map_imperatively(User, users)
mapper_registry.map_imperatively(SlotEvent, slot_events)
mapper_registry.map_imperatively(
    Template,
    templates,
    properties={"city": relationship(City, back_populates="templates", lazy="raise")},
)


@event.listens_for(Slot, "before_insert")
@event.listens_for(Slot, "before_update")
def _sync_end(mapper: Any, connection: Any, target: Slot) -> None:
    """end_utc follows start_utc and duration_min on every write."""
    target.end_utc = target.compute_end()
