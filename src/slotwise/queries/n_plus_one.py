"""The N+1 detector: the same statement shape repeated from one call site in one scope.

A loop that loads a row per item issues one statement shape again and again from the same
line; an eager load issues each shape once. So within one request / unit of work
(``query_counter.QueryScope``), a (shape, call-site chain) pair seen ``threshold`` times or
more is flagged. Only SELECTs are considered by default (repeated INSERTs in a bulk write are
a different problem, and savepoints repeat by design). In tests the detector raises
``NPlusOneError``; in production it logs a warning with the statement shape and the call site
(never parameter values) and counts the violation.

Configuration: ``configure_detector(...)`` or the environment variables
``SLOTWISE_N_PLUS_ONE`` (``raise`` | ``warn`` | ``off``, default ``warn``),
``SLOTWISE_N_PLUS_ONE_THRESHOLD`` (default 10) and ``SLOTWISE_N_PLUS_ONE_ALLOW``
(comma-separated fnmatch patterns matched against call-site frames and shapes).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fnmatch import fnmatchcase
from typing import Literal

from slotwise.queries.counter import QueryScope, query_scope, statement_kind

log = logging.getLogger(__name__)

Mode = Literal["raise", "warn", "off"]
_MODES: tuple[Mode, ...] = ("raise", "warn", "off")


class NPlusOneError(AssertionError):
    """Raised in ``raise`` mode (tests): a statement shape repeated from one call site."""

    def __init__(self, violations: list[Violation]) -> None:
        super().__init__("\n".join(v.message() for v in violations))
        self.violations = violations


@dataclass(frozen=True, slots=True)
class Violation:
    shape: str
    call_site: tuple[str, ...]
    count: int
    scope: str

    def callers(self) -> list[str]:
        """The call site's outer frames, one per file run (``base.py:89 <- slots.py:40``)."""
        shown: list[str] = []
        last_file = self.call_site[0].rsplit(":", 1)[0] if self.call_site else ""
        for frame in self.call_site[1:]:
            file = frame.rsplit(":", 1)[0]
            if file != last_file:
                shown.append(frame)
                last_file = file
        return shown

    def message(self) -> str:
        where = self.call_site[0] if self.call_site else "an unknown call site"
        callers = self.callers()[:4]
        via = f" (called via {' <- '.join(callers)})" if callers else ""
        return (
            f"N+1 queries in {self.scope}: the same statement ran {self.count} times from "
            f"{where}{via}: {self.shape[:300]} -- load these rows in one query (eager loading, "
            "BatchLoader) or allowlist the call site"
        )


@dataclass(frozen=True, slots=True)
class DetectorConfig:
    mode: Mode = "warn"
    threshold: int = 10
    allowlist: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ("SELECT",)

    @classmethod
    def from_env(cls) -> DetectorConfig:
        mode = os.environ.get("SLOTWISE_N_PLUS_ONE", "warn").strip().lower()
        threshold = os.environ.get("SLOTWISE_N_PLUS_ONE_THRESHOLD", "10")
        allow = os.environ.get("SLOTWISE_N_PLUS_ONE_ALLOW", "")
        return cls(
            mode=_parse_mode(mode),
            threshold=max(2, int(threshold)) if threshold.isdigit() else 10,
            allowlist=tuple(p.strip() for p in allow.split(",") if p.strip()),
        )

    def allows(self, shape: str, call_site: tuple[str, ...]) -> bool:
        return any(
            fnmatchcase(shape, pattern) or any(fnmatchcase(frame, pattern) for frame in call_site)
            for pattern in self.allowlist
        )


def _parse_mode(value: str) -> Mode:
    for mode in _MODES:
        if value == mode:
            return mode
    return "warn"


_config: DetectorConfig | None = None


def get_detector_config() -> DetectorConfig:
    global _config
    if _config is None:
        _config = DetectorConfig.from_env()
    return _config


def configure_detector(
    *,
    mode: Mode | None = None,
    threshold: int | None = None,
    allowlist: tuple[str, ...] | None = None,
    kinds: tuple[str, ...] | None = None,
) -> DetectorConfig:
    """Change the process-wide configuration; unspecified fields keep their value."""
    global _config
    if mode is not None and mode not in _MODES:
        raise ValueError(f"mode must be one of {_MODES}, not {mode!r}")
    if threshold is not None and threshold < 2:
        raise ValueError("threshold must be at least 2")
    current = get_detector_config()
    _config = replace(
        current,
        mode=mode or current.mode,
        threshold=threshold or current.threshold,
        allowlist=current.allowlist if allowlist is None else allowlist,
        kinds=kinds or current.kinds,
    )
    return _config


def reset_detector_config() -> None:
    global _config
    _config = None


def find_violations(scope: QueryScope, config: DetectorConfig | None = None) -> list[Violation]:
    """The (shape, call site) pairs of ``scope`` that ran at least ``threshold`` times."""
    config = config or get_detector_config()
    found = [
        Violation(shape, site, n, scope.name)
        for (shape, site), n in scope.by_site.items()
        if n >= config.threshold
        and statement_kind(shape) in config.kinds
        and not config.allows(shape, site)
    ]
    return sorted(found, key=lambda v: -v.count)


# --- counting what was found (exported as a metric) -------------------------------------------


class _Stats:
    """Violations seen by this process, total and per call site (bounded)."""

    MAX_SITES = 200

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.total = 0
        self.by_site: dict[str, int] = {}

    def add(self, violation: Violation) -> None:
        site = violation.call_site[0] if violation.call_site else "?"
        with self._lock:
            self.total += 1
            if site in self.by_site or len(self.by_site) < self.MAX_SITES:
                self.by_site[site] = self.by_site.get(site, 0) + 1


_stats = _Stats()
_listeners: list[Callable[[Violation], None]] = []


def add_violation_listener(listener: Callable[[Violation], None]) -> None:
    """Call ``listener`` for every violation reported (the metrics exporter counts them)."""
    if listener not in _listeners:
        _listeners.append(listener)


def n_plus_one_total() -> int:
    """How many N+1 violations this process has reported (for the metrics exporter)."""
    return _stats.total


def n_plus_one_by_site() -> dict[str, int]:
    with _stats._lock:
        return dict(_stats.by_site)


def report(violations: list[Violation], config: DetectorConfig | None = None) -> None:
    """Count, then raise (``raise`` mode) or log one warning per violation (``warn``)."""
    config = config or get_detector_config()
    if not violations or config.mode == "off":
        return
    for violation in violations:
        _stats.add(violation)
        for listener in _listeners:
            try:
                listener(violation)
            except Exception:  # a broken exporter must not break the request
                log.debug("N+1 violation listener failed", exc_info=True)
    if config.mode == "raise":
        raise NPlusOneError(violations)
    for violation in violations:
        log.warning(violation.message())


def check_scope(scope: QueryScope, config: DetectorConfig | None = None) -> list[Violation]:
    """Find and report the violations of a finished scope."""
    config = config or get_detector_config()
    if config.mode == "off":
        return []
    violations = find_violations(scope, config)
    report(violations, config)
    return violations


@contextmanager
def detect_n_plus_one(
    name: str = "block", config: DetectorConfig | None = None
) -> Iterator[QueryScope]:
    """Record the block's statements and report N+1 patterns when it ends without error
    (an exception from the block wins over the detector's)."""
    with query_scope(name) as scope:
        yield scope
    check_scope(scope, config)
