"""One repository per aggregate; all of them share one session through the Unit of Work.

Also what the cache needs to know of slotwise: the key catalogue (``cache_keys``), the DTOs
entities travel as (``cache_entities``, registered with the engine on import) and
``CacheInvalidator``.
"""

from slotwise.repositories import cache_entities  # noqa: F401  (registers the DTOs first)
from slotwise.repositories.city import CityRepository
from slotwise.repositories.recruiter import RecruiterRepository
from slotwise.repositories.slot import SlotFilters, SlotRepository
from slotwise.repositories.slot_event import SlotEventRepository
from slotwise.repositories.template import TemplateRepository
from slotwise.repositories.unit_of_work import UnitOfWork
from slotwise.repositories.user import UserRepository

__all__ = [
    "CityRepository",
    "RecruiterRepository",
    "SlotEventRepository",
    "SlotFilters",
    "SlotRepository",
    "TemplateRepository",
    "UnitOfWork",
    "UserRepository",
]
