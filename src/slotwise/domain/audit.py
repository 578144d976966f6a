"""The audit trail of bookings: who moved a slot from one status to another, how, and when.

Every transition a booking use case makes (book, approve, confirm, release, cancel,
reschedule) is recorded as one ``SlotEvent`` in the same transaction as the change itself,
so the trail holds exactly the changes that happened: none for a refused transition or a
rolled-back one. Events are only ever added, never changed.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from slotwise.domain.entity import Entity
from slotwise.domain.status import SlotStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Mapped

__all__ = ["Actor", "ActorRole", "SlotEvent"]


class ActorRole(enum.StrEnum):
    """Who may act: the role of the caller's token."""

    ADMIN = "admin"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class Actor:
    """The caller of a use case, as its command carries it (never a global)."""

    role: ActorRole


class SlotEvent(Entity):
    id: Mapped[int]
    slot_id: Mapped[int]
    #: the transition: book, approve, confirm, release, cancel or reschedule.
    action: Mapped[str]
    from_status: Mapped[SlotStatus]
    to_status: Mapped[SlotStatus]
    actor_role: Mapped[ActorRole]
    #: the candidate the transition is about (who booked, or who held the slot), if any.
    candidate_telegram_id: Mapped[int | None]
    #: for a reschedule, the other slot of the move (the old one on the new, and back).
    related_slot_id: Mapped[int | None]
    #: when the change was made (set on insert, in UTC).
    at: Mapped[datetime]

    @classmethod
    def record(
        cls,
        slot_id: int,
        action: str,
        change: tuple[SlotStatus, SlotStatus],
        actor: Actor,
        candidate_telegram_id: int | None,
        related_slot_id: int | None = None,
    ) -> SlotEvent:
        """The event of one transition: ``change`` is (from, to)."""
        return cls(
            slot_id=slot_id,
            action=action,
            from_status=change[0],
            to_status=change[1],
            actor_role=actor.role,
            candidate_telegram_id=candidate_telegram_id,
            related_slot_id=related_slot_id,
        )

    def __repr__(self) -> str:
        return (
            f"SlotEvent(slot_id={self.slot_id!r}, action={self.action!r}, "
            f"{self.from_status!s}->{self.to_status!s})"
        )
