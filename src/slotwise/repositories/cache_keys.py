"""slotwise's key catalogue: every cached read path's key pattern, and what each write must
invalidate. Values go through ``escape`` so no input can change a key's shape; the engine's
rules for keys live in ``slotwise.cache.keys``."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from slotwise.cache.keys import NONE_SEGMENT, escape, guard_bucket
from slotwise.cache.layout import register_entry_caps

#: Namespaces whose keys take arbitrary client input (time windows, limits, offsets): at most
#: this many entries are stored per namespace per TTL window (so at most twice as many live),
#: whatever a client asks for; beyond it the reads go to the database uncached.
ENTRY_CAPS = {
    "slots:list": 20_000,
    "slots:free": 20_000,
    "recruiters:list": 5_000,
    "cities:list": 2_000,
}
register_entry_caps(ENTRY_CAPS)


class CacheKeys:
    """Every cached read path's key, and what each kind of write must invalidate."""

    #: Guard namespace of what slots embed of a recruiter (bumped per bucket, see
    #: ``guard_bucket``, by every write that changes it).
    RECRUITER_DEPS = "dep:recruiter"

    @staticmethod
    def recruiter_dep(recruiter_id: int) -> str:
        """Bumped when recruiter ``recruiter_id`` changes: slot entries embedding it go."""
        return f"dep:recruiter:{escape(recruiter_id)}"

    @staticmethod
    def recruiter_changed(recruiter_id: int) -> tuple[str, ...]:
        """What a change of one recruiter's own row invalidates, and nothing else: the
        recruiter, recruiter lists, the slots that embed it (their dep key; its guard bucket
        voids loads in flight), its free-slot lists, and slot lists that may show its slots."""
        dep = CacheKeys.recruiter_dep(recruiter_id)
        return (
            CacheKeys.recruiter(recruiter_id),
            "recruiters:*",
            dep,
            f"{guard_bucket(CacheKeys.RECRUITER_DEPS, dep)}:*",
            CacheKeys.slots_free_pattern(recruiter_id),
            *CacheKeys.slot_lists_affected(recruiter_id),
        )

    @staticmethod
    def slot_changed(slot_id: int | None, recruiter_ids: Iterable[int | None]) -> tuple[str, ...]:
        """What a write of one slot invalidates: the slot, and the free-slot lists and slot
        lists of every recruiter it belongs or belonged to (others' lists stay)."""
        targets: list[str] = [] if slot_id is None else [CacheKeys.slot(slot_id)]
        for recruiter_id in dict.fromkeys(recruiter_ids):
            if recruiter_id is None:  # unknown: every list
                return (*targets, "slots:*")
            targets.append(CacheKeys.slots_free_pattern(recruiter_id))
            targets.extend(CacheKeys.slot_lists_affected(recruiter_id))
        return tuple(dict.fromkeys(targets))

    @staticmethod
    def slot_lists_affected(recruiter_id: int) -> tuple[str, str]:
        """Slot lists filtered by this recruiter, and those not filtered by recruiter."""
        return (f"slots:list:r:{escape(recruiter_id)}:*", f"slots:list:r:{NONE_SEGMENT}:*")

    # Entities by id
    @staticmethod
    def recruiter(recruiter_id: int) -> str:
        return f"recruiter:{escape(recruiter_id)}"

    @staticmethod
    def city(city_id: int) -> str:
        return f"city:{escape(city_id)}"

    @staticmethod
    def slot(slot_id: int) -> str:
        return f"slot:{escape(slot_id)}"

    @staticmethod
    def user(user_id: int) -> str:
        return f"user:{escape(user_id)}"

    @staticmethod
    def user_by_telegram(telegram_id: int) -> str:
        return f"user:telegram:{escape(telegram_id)}"

    # Lists
    @staticmethod
    def recruiters_active() -> str:
        return "recruiters:active"

    @staticmethod
    def recruiters_for_city(city_id: int) -> str:
        return f"recruiters:city:{escape(city_id)}"

    @staticmethod
    def cities_active() -> str:
        return "cities:active"

    @staticmethod
    def slots_free_for_recruiter(recruiter_id: int, after: datetime) -> str:
        """``after`` is part of the key (two windows are two entries), under the recruiter's
        own prefix so that ``slots_free_pattern(recruiter_id)`` drops every ``after`` at once."""
        return f"slots:free:recruiter:{escape(recruiter_id)}:after:{escape(after)}"

    @staticmethod
    def slots_free_pattern(recruiter_id: int) -> str:
        return f"slots:free:recruiter:{escape(recruiter_id)}:*"

    @staticmethod
    def slots_list(
        recruiter_id: int | None,
        city_id: int | None,
        status: object,
        start_from: datetime | None,
        start_to: datetime | None,
        limit: int,
        offset: int,
    ) -> str:
        """One page of ``GET /api/slots``: every filter, the limit and the offset are in the
        key, under the recruiter filter's namespace (``slot_lists_affected``)."""
        return (
            f"slots:list:r:{escape(recruiter_id)}:c:{escape(city_id)}:s:{escape(status)}"
            f":f:{escape(start_from)}:t:{escape(start_to)}:l:{escape(limit)}:o:{escape(offset)}"
        )

    @staticmethod
    def recruiters_list(active: bool | None, city_id: int | None, limit: int, offset: int) -> str:
        return (
            f"recruiters:list:a:{escape(active)}:c:{escape(city_id)}"
            f":l:{escape(limit)}:o:{escape(offset)}"
        )

    @staticmethod
    def cities_list(active: bool | None, limit: int, offset: int) -> str:
        return f"cities:list:a:{escape(active)}:l:{escape(limit)}:o:{escape(offset)}"

    @staticmethod
    def templates_for_city(city_id: int | None) -> str:
        return f"templates:city:{escape(city_id)}"

    @staticmethod
    def template_resolved(city_id: int | None, key: str) -> str:
        return f"templates:resolve:{escape(city_id)}:{escape(key)}"
