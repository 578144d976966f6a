"""The N+1 detector's rules, on hand-built scopes (no database)."""

from __future__ import annotations

import logging

import pytest

from slotwise.queries import n_plus_one
from slotwise.queries.counter import QueryScope
from slotwise.queries.n_plus_one import (
    DetectorConfig,
    NPlusOneError,
    check_scope,
    configure_detector,
    detect_n_plus_one,
    find_violations,
    get_detector_config,
    n_plus_one_total,
    reset_detector_config,
)

LOOP = ("slotwise/services/booking.py:40", "slotwise/api/routes/slots.py:12")
SELECT = "SELECT recruiters.id FROM recruiters WHERE recruiters.id = $1"


def _scope(times: int, sql: str = SELECT, site: tuple[str, ...] = LOOP) -> QueryScope:
    scope = QueryScope(name="GET /api/slots")
    for i in range(times):
        scope.record(sql, (i,), site)
    return scope


def test_repeats_below_the_threshold_are_fine() -> None:
    assert find_violations(_scope(4), DetectorConfig(threshold=5)) == []


def test_repeats_at_the_threshold_are_flagged_with_the_call_site() -> None:
    [violation] = find_violations(_scope(5), DetectorConfig(threshold=5))
    assert violation.count == 5
    assert violation.call_site == LOOP
    message = violation.message()
    assert "slotwise/services/booking.py:40" in message
    assert "5 times" in message
    assert "GET /api/slots" in message


def test_the_same_shape_from_different_call_sites_is_not_an_n_plus_one() -> None:
    scope = QueryScope()
    for i in range(10):
        scope.record(SELECT, (i,), (f"slotwise/x.py:{i}",))
    assert find_violations(scope, DetectorConfig(threshold=3)) == []


def test_only_selects_are_considered_by_default() -> None:
    inserts = _scope(20, "INSERT INTO slots (id) VALUES ($1)")
    assert find_violations(inserts, DetectorConfig(threshold=3)) == []
    assert find_violations(inserts, DetectorConfig(threshold=3, kinds=("INSERT",)))


def test_allowlist_matches_a_frame_or_the_shape() -> None:
    scope = _scope(10)
    assert find_violations(scope, DetectorConfig(threshold=3, allowlist=("*/booking.py:*",))) == []
    assert (
        find_violations(scope, DetectorConfig(threshold=3, allowlist=("*FROM recruiters*",))) == []
    )
    assert find_violations(scope, DetectorConfig(threshold=3, allowlist=("*/other.py:*",)))


def test_raise_mode_raises_and_counts() -> None:
    before = n_plus_one_total()
    with pytest.raises(NPlusOneError, match=r"booking\.py:40") as caught:
        check_scope(_scope(3), DetectorConfig(mode="raise", threshold=3))
    assert len(caught.value.violations) == 1
    assert n_plus_one_total() == before + 1


def test_warn_mode_logs_the_shape_without_parameter_values(
    caplog: pytest.LogCaptureFixture,
) -> None:
    scope = QueryScope(name="req")
    for _ in range(3):
        scope.record("SELECT * FROM users WHERE name = 'Very Secret Name'", None, LOOP)
    before = n_plus_one_total()
    with caplog.at_level(logging.WARNING, logger=n_plus_one.__name__):
        found = check_scope(scope, DetectorConfig(mode="warn", threshold=3))
    assert len(found) == 1
    assert n_plus_one_total() == before + 1
    assert "booking.py:40" in caplog.text
    assert "Very Secret Name" not in caplog.text
    assert n_plus_one.n_plus_one_by_site()["slotwise/services/booking.py:40"] >= 1


def test_off_mode_does_nothing() -> None:
    before = n_plus_one_total()
    assert check_scope(_scope(50), DetectorConfig(mode="off", threshold=2)) == []
    assert n_plus_one_total() == before


def test_detect_block_raises_at_its_end() -> None:
    with (
        pytest.raises(NPlusOneError),
        detect_n_plus_one("block", DetectorConfig(mode="raise", threshold=2)) as scope,
    ):
        scope.record(SELECT, (1,), LOOP)
        scope.record(SELECT, (2,), LOOP)


def test_an_error_in_the_block_wins_over_the_detector() -> None:
    with (
        pytest.raises(KeyError),
        detect_n_plus_one("block", DetectorConfig(mode="raise", threshold=2)) as scope,
    ):
        scope.record(SELECT, (1,), LOOP)
        scope.record(SELECT, (2,), LOOP)
        raise KeyError("boom")


def test_configuration_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SLOTWISE_N_PLUS_ONE", "off")
    monkeypatch.setenv("SLOTWISE_N_PLUS_ONE_THRESHOLD", "7")
    monkeypatch.setenv("SLOTWISE_N_PLUS_ONE_ALLOW", "*/a.py:*, *FROM x*")
    config = DetectorConfig.from_env()
    assert config == DetectorConfig("off", 7, ("*/a.py:*", "*FROM x*"))
    monkeypatch.setenv("SLOTWISE_N_PLUS_ONE", "nonsense")
    monkeypatch.setenv("SLOTWISE_N_PLUS_ONE_THRESHOLD", "many")
    assert DetectorConfig.from_env() == DetectorConfig("warn", 10, ("*/a.py:*", "*FROM x*"))


def test_configure_detector_validates_and_keeps_other_fields() -> None:
    try:
        configure_detector(threshold=4)
        configured = configure_detector(allowlist=("x",))
        assert configured.threshold == 4
        assert get_detector_config() == configured
        with pytest.raises(ValueError, match="mode"):
            configure_detector(mode="loud")  # type: ignore[arg-type]
        with pytest.raises(ValueError, match="threshold"):
            configure_detector(threshold=1)
    finally:
        reset_detector_config()


def test_listeners_hear_every_reported_violation() -> None:
    heard: list[int] = []
    n_plus_one.add_violation_listener(lambda v: heard.append(v.count))
    check_scope(_scope(4), DetectorConfig(mode="warn", threshold=3))
    assert heard[-1] == 4
