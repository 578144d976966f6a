"""``slotwise.core.cache_decorators``: the document's path to ``cached`` and friends."""

from slotwise.cache.decorators import cached, invalidate_cache, schedule_invalidation
from slotwise.repositories.invalidation import CacheInvalidator

__all__ = ["CacheInvalidator", "cached", "invalidate_cache", "schedule_invalidation"]
