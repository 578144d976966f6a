"""The slot life cycle: its statuses, the only transitions allowed between them, and the
exceptions a refused transition raises."""

from __future__ import annotations

import enum


class SlotStatus(enum.StrEnum):
    FREE = "free"
    PENDING = "pending"
    BOOKED = "booked"
    CONFIRMED_BY_CANDIDATE = "confirmed_by_candidate"
    CANCELED = "canceled"


ACTIVE_STATUSES: frozenset[SlotStatus] = frozenset(
    {SlotStatus.PENDING, SlotStatus.BOOKED, SlotStatus.CONFIRMED_BY_CANDIDATE}
)

# action -> (statuses it may start from, status it ends in). Nothing else is allowed.
TRANSITIONS: dict[str, tuple[frozenset[SlotStatus], SlotStatus]] = {
    "book": (frozenset({SlotStatus.FREE}), SlotStatus.PENDING),
    "approve": (frozenset({SlotStatus.PENDING}), SlotStatus.BOOKED),
    "confirm": (frozenset({SlotStatus.BOOKED}), SlotStatus.CONFIRMED_BY_CANDIDATE),
    "release": (ACTIVE_STATUSES, SlotStatus.FREE),
    "cancel": (frozenset({SlotStatus.FREE, *ACTIVE_STATUSES}), SlotStatus.CANCELED),
}


def next_status(current: SlotStatus | str, action: str) -> SlotStatus | None:
    """The status ``action`` leads to from ``current``, or None when it is not allowed."""
    allowed = TRANSITIONS.get(action)
    if allowed is None:
        return None
    sources, target = allowed
    return target if SlotStatus(current) in sources else None


class TransitionRejected(Exception):
    """The slot's status does not allow this action."""

    def __init__(self, action: str, from_status: str) -> None:
        super().__init__(f"cannot {action} a slot that is {from_status}")
        self.action = action
        self.from_status = from_status


class NotHolder(Exception):
    """A candidate tried to act on a slot held by someone else (or by nobody)."""
