"""The in-process tier follows one TCP Redis: under Cluster or Sentinel it would miss other
nodes' (or a new primary's) invalidations, so it must stay off there."""

from __future__ import annotations

import pytest

from slotwise.cache.client import CacheClient
from slotwise.cache.config import CacheConfig


@pytest.mark.parametrize(
    ("mode", "tiered"), [("standalone", True), ("cluster", False), ("sentinel", False)]
)
def test_the_tier_is_on_only_for_a_standalone_redis(mode: str, tiered: bool) -> None:
    config = CacheConfig(
        mode=mode,  # type: ignore[arg-type]
        l1_enabled=True,
        sentinels=(("127.0.0.1", 26379),) if mode == "sentinel" else (),
        sentinel_master="slotwise" if mode == "sentinel" else None,
    )
    assert (CacheClient(config).tier is not None) is tiered
