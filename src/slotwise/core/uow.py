"""``slotwise.core.uow``: the document's path to ``UnitOfWork``."""

from slotwise.persistence.uow import current_uow
from slotwise.repositories import UnitOfWork

__all__ = ["UnitOfWork", "current_uow"]
