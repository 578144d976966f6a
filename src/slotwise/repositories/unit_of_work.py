"""``UnitOfWork``: slotwise's transaction, with the repositories sharing its session.

    async with UnitOfWork() as uow:
        result = await uow.recruiters.get_active()
        ...
        await uow.commit()

The transaction itself (commit, rollback, after-commit actions) is
``slotwise.persistence.uow.BaseUnitOfWork``; this class only attaches the repositories.
"""

from __future__ import annotations

from typing import Self

from slotwise.persistence.uow import BaseUnitOfWork
from slotwise.repositories.city import CityRepository
from slotwise.repositories.recruiter import RecruiterRepository
from slotwise.repositories.slot import SlotRepository
from slotwise.repositories.slot_event import SlotEventRepository
from slotwise.repositories.template import TemplateRepository
from slotwise.repositories.user import UserRepository


class UnitOfWork(BaseUnitOfWork):
    recruiters: RecruiterRepository
    cities: CityRepository
    slots: SlotRepository
    slot_events: SlotEventRepository
    templates: TemplateRepository
    users: UserRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.recruiters = RecruiterRepository(self.session)
        self.cities = CityRepository(self.session)
        self.slots = SlotRepository(self.session)
        self.slot_events = SlotEventRepository(self.session)
        self.templates = TemplateRepository(self.session)
        self.users = UserRepository(self.session)
        return self
