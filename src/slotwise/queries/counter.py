"""Counting the SQL statements of a request or a unit of work, by shape and call site.

A ``QueryScope`` is opened around a unit of work (an HTTP request, a test, a CLI step); the
engine's ``before_cursor_execute`` event records every statement into each scope open in the
current context (scopes nest: a request inside ``assert_max_queries`` counts in both). Each
record is the statement's *shape* (literals and parameters stripped, IN lists collapsed) and
its *call site*: the chain of application frames that issued it. The N+1 detector
(``slotwise.queries.n_plus_one``) reads these counts; nothing here logs or keeps parameter values
unless a scope asks for them explicitly (tests that run EXPLAIN on the captured statements).

Async SQLAlchemy runs the DBAPI call in a greenlet whose own stack holds only SQLAlchemy
frames; the application's frames are found on the parent greenlet's suspended stack.
"""

from __future__ import annotations

import re
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import FrameType
from typing import Any

from greenlet import getcurrent  # type: ignore[import-untyped]
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine

# --- statement shapes -------------------------------------------------------------------------

_STRING = re.compile(r"'(?:[^']|'')*'")
_PLACEHOLDER = re.compile(r"\$\d+|%\(\w+\)s|%s|(?<![:\w]):\w+|\?")
_NUMBER = re.compile(r"(?<![\w.$])-?\d+(?:\.\d+)?(?![\w.])")
_LIST = re.compile(r"\(\s*\?(?:\s*,\s*\?)+\s*\)")
_SPACE = re.compile(r"\s+")


@lru_cache(maxsize=4096)
def normalize_statement(sql: str) -> str:
    """The statement with every literal and parameter replaced by ``?`` and lists collapsed,
    so that ``WHERE id = 1`` and ``WHERE id = 2`` (or IN lists of any length) share a shape."""
    shape = _STRING.sub("?", sql)
    shape = _PLACEHOLDER.sub("?", shape)
    shape = _NUMBER.sub("?", shape)
    shape = _LIST.sub("(?...)", shape)
    return _SPACE.sub(" ", shape).strip()


def statement_kind(shape: str) -> str:
    """The leading keyword (SELECT, INSERT, ...); a CTE (WITH ...) counts as its body's."""
    head = shape.lstrip("( ").split(" ", 1)[0].upper()
    if head == "WITH":
        for kind in ("SELECT", "INSERT", "UPDATE", "DELETE"):
            if kind in shape.upper():
                return kind
    return head


# --- call sites -------------------------------------------------------------------------------

_SLOTWISE_ROOT = Path(__file__).resolve().parent.parent
_app_roots: list[str] = [str(_SLOTWISE_ROOT)]
_SKIP = {str(Path(__file__).resolve()), str(_SLOTWISE_ROOT / "queries" / "n_plus_one.py")}
MAX_CHAIN = 16


def add_app_root(path: str | Path) -> None:
    """Count frames under ``path`` as application code too (the test suite adds tests/)."""
    root = str(Path(path).resolve())
    if root not in _app_roots:
        _app_roots.append(root)
        _file_label.cache_clear()


@lru_cache(maxsize=8192)
def _file_label(filename: str) -> str | None:
    """``slotwise/queries/x.py`` for an application file, None for any other: computed once per
    file, since every statement walks a stack of dozens of frames."""
    if filename in _SKIP:
        return None
    for root in _app_roots:
        if filename.startswith(root):
            return f"{Path(root).name}/{filename[len(root) :].lstrip('/')}"
    return None


def _app_frames(frame: FrameType | None, chain: list[str]) -> None:
    while frame is not None and len(chain) < MAX_CHAIN:
        label = _file_label(frame.f_code.co_filename)
        if label is not None:
            chain.append(f"{label}:{frame.f_lineno}")
        frame = frame.f_back


def call_site_chain() -> tuple[str, ...]:
    """The application frames (innermost first, ``file:line``) that issued the statement
    being executed: first the current stack, then the parent greenlet's (async SQLAlchemy)."""
    chain: list[str] = []
    _app_frames(sys._getframe(1), chain)
    parent = getcurrent().parent
    if parent is not None and len(chain) < MAX_CHAIN:
        _app_frames(parent.gr_frame, chain)
    return tuple(chain)


# --- scopes -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RecordedStatement:
    """One executed statement: its shape, the raw SQL (placeholders, never values) and where
    it came from; ``parameters`` only when the scope was opened with ``keep_parameters``."""

    shape: str
    sql: str
    call_site: tuple[str, ...]
    parameters: Any = None

    @property
    def kind(self) -> str:
        return statement_kind(self.shape)


@dataclass
class QueryScope:
    """The statements of one request / unit of work. Memory is bounded: at most
    ``max_recorded`` statements are kept, every statement is counted."""

    name: str = "scope"
    keep_parameters: bool = False
    max_recorded: int = 2000
    count: int = 0
    batched: int = 0
    statements: list[RecordedStatement] = field(default_factory=list)
    by_site: Counter[tuple[str, tuple[str, ...]]] = field(default_factory=Counter)
    MAX_SITES = 1000

    def record(
        self, sql: str, parameters: Any, chain: tuple[str, ...], *, batched: bool = False
    ) -> None:
        """Count one statement; ``batched`` ones (chunks of one batch load) are counted but
        not offered to the N+1 detector: their repetition is the batching, not a loop."""
        self.count += 1
        shape = normalize_statement(sql)
        key = (shape, chain)
        if batched:
            self.batched += 1
        elif key in self.by_site or len(self.by_site) < self.MAX_SITES:
            self.by_site[key] += 1
        if len(self.statements) < self.max_recorded:
            params = parameters if self.keep_parameters else None
            self.statements.append(RecordedStatement(shape, sql, chain, params))

    def shapes(self) -> Counter[str]:
        """How many times each shape ran, whatever the call site."""
        counts: Counter[str] = Counter()
        for (shape, _site), n in self.by_site.items():
            counts[shape] += n
        return counts

    def describe(self, limit: int = 30) -> str:
        """The statements, one per line (for assertion messages; no parameter values)."""
        lines = [f"{self.count} statement(s) in {self.name}:"]
        for i, stmt in enumerate(self.statements[:limit], 1):
            where = stmt.call_site[0] if stmt.call_site else "?"
            lines.append(f"  {i}. [{where}] {stmt.shape[:200]}")
        if self.count > limit:
            lines.append(f"  ... and {self.count - limit} more")
        return "\n".join(lines)


_scopes: ContextVar[tuple[QueryScope, ...]] = ContextVar("slotwise_query_scopes", default=())


def active_scopes() -> tuple[QueryScope, ...]:
    return _scopes.get()


@contextmanager
def query_scope(
    name: str = "scope", *, keep_parameters: bool = False, max_recorded: int = 2000
) -> Iterator[QueryScope]:
    """Record the statements executed in this context (this task and tasks it starts) until
    the block ends. Works around ``await``: the contextvar follows the task."""
    scope = QueryScope(name=name, keep_parameters=keep_parameters, max_recorded=max_recorded)
    token = _scopes.set((*_scopes.get(), scope))
    try:
        yield scope
    finally:
        _scopes.reset(token)


# --- the engine hook --------------------------------------------------------------------------

#: Execution option marking the chunks of one batch load (``BatchLoader``): counted, but a
#: loop over chunks is not an N+1.
BATCH_OPTION = "slotwise_batch_chunk"

# Transaction control is not a query (and SQLite sends BEGIN through the cursor while
# asyncpg does not): leaving it out makes counts the same on both backends.
_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")

_install_lock = threading.Lock()


def _before_cursor_execute(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> None:
    scopes = _scopes.get()
    if not scopes or statement.lstrip()[:9].upper().startswith(_CONTROL):
        return
    chain = call_site_chain()
    batched = bool(context is not None and context.execution_options.get(BATCH_OPTION))
    for scope in scopes:
        scope.record(statement, parameters, chain, batched=batched)


def sync_engine_of(engine: AsyncEngine | Engine) -> Engine:
    """The engine that carries the events (and the pool) behind an async one."""
    return engine.sync_engine if isinstance(engine, AsyncEngine) else engine


def install_query_recorder(engine: AsyncEngine | Engine) -> None:
    """Listen to ``engine``'s statements (idempotent; costs a contextvar read per statement
    when no scope is open)."""
    sync_engine = sync_engine_of(engine)
    with _install_lock:
        if not event.contains(sync_engine, "before_cursor_execute", _before_cursor_execute):
            event.listen(sync_engine, "before_cursor_execute", _before_cursor_execute)
