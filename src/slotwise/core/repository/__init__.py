"""Repository base class and database-error mapping."""

from slotwise.core.repository.base import BaseRepository

__all__ = ["BaseRepository"]
