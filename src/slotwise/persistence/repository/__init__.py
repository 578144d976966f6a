"""Repository base class and database-error mapping."""

from slotwise.persistence.repository.base import BaseRepository

__all__ = ["BaseRepository"]
