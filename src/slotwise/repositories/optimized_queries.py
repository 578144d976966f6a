"""``OptimizedQueries``: the statements slotwise's read paths start from, with the relations
the API shows loaded in a constant number of statements."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.interfaces import LoaderOption

from slotwise.domain.models import Recruiter, Slot, Template


class OptimizedQueries:
    """The statements the read paths start from, with the relations the API shows loaded in a
    constant number of statements however many rows come back."""

    @staticmethod
    def slot_load_options() -> tuple[LoaderOption, ...]:
        # Both relations are many-to-one: one LEFT JOIN each keeps a list at one statement.
        return (joinedload(Slot.recruiter), joinedload(Slot.city))

    @staticmethod
    def recruiter_load_options() -> tuple[LoaderOption, ...]:
        # A collection: SELECT ... IN (one more statement per 500 recruiters), no row blow-up.
        return (selectinload(Recruiter.cities),)

    @classmethod
    def slots_with_relations(cls) -> Select[tuple[Slot]]:
        """Slots with their recruiter and city."""
        return select(Slot).options(*cls.slot_load_options())

    @classmethod
    def recruiters_with_cities(cls) -> Select[tuple[Recruiter]]:
        """Recruiters with their cities."""
        return select(Recruiter).options(*cls.recruiter_load_options())

    @staticmethod
    def templates_with_city() -> Select[tuple[Template]]:
        """Templates with their city (None for the global ones)."""
        return select(Template).options(joinedload(Template.city))
