"""``slotwise.core.cache_decorators``: the document's path to ``cached`` and friends."""

from slotwise.cache.decorators import (
    CacheInvalidator,
    cached,
    invalidate_cache,
    schedule_invalidation,
)

__all__ = ["CacheInvalidator", "cached", "invalidate_cache", "schedule_invalidation"]
