"""``slotwise.core.uow``: the document's path to ``UnitOfWork``."""

from slotwise.persistence.uow import UnitOfWork, current_uow

__all__ = ["UnitOfWork", "current_uow"]
