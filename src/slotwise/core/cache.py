"""``slotwise.core.cache``: the document's path to the cache client (``slotwise.cache``)."""

from slotwise.cache.client import (
    CacheClient,
    CacheConfig,
    cache_status,
    clear_cache_from_settings,
    connect_cache,
    disconnect_cache,
    get_cache,
    init_cache,
    install_cache,
    open_app_cache,
    setup_cache_from_settings,
)
from slotwise.cache.keys import CacheTTL
from slotwise.repositories.cache_keys import CacheKeys

__all__ = [
    "CacheClient",
    "CacheConfig",
    "CacheKeys",
    "CacheTTL",
    "cache_status",
    "clear_cache_from_settings",
    "connect_cache",
    "disconnect_cache",
    "get_cache",
    "init_cache",
    "install_cache",
    "open_app_cache",
    "setup_cache_from_settings",
]
