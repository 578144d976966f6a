"""One repository per aggregate; all of them share one session through the Unit of Work."""

from slotwise.repositories.city import CityRepository
from slotwise.repositories.recruiter import RecruiterRepository
from slotwise.repositories.slot import SlotFilters, SlotRepository
from slotwise.repositories.template import TemplateRepository
from slotwise.repositories.unit_of_work import UnitOfWork
from slotwise.repositories.user import UserRepository

__all__ = [
    "CityRepository",
    "RecruiterRepository",
    "SlotFilters",
    "SlotRepository",
    "TemplateRepository",
    "UnitOfWork",
    "UserRepository",
]
