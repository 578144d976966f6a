"""The layout's rules, checked on the source: no import circle between modules, and
dependencies that point one way (entrypoints -> services -> repositories -> the generic
packages -> nothing of ours; the domain imports nothing of ours).

Every import counts, also those inside functions and under TYPE_CHECKING: a lazy import hides
a circle from the interpreter, not from a reader.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = SRC / "slotwise"

#: What each top-level part of the package may import (besides itself). Anything not listed
#: here is an error: a new package must say where it stands.
ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "result": set(),
    "settings": set(),
    # Typing bounds on the domain's Entity base only.
    "queries": {"settings", "domain"},
    "observability": {"settings", "queries"},
    # The ORM side maps the domain's classes onto tables (the domain knows nothing of it).
    "persistence": {"settings", "result", "queries", "observability", "domain"},
    "cache": {"settings", "result", "observability", "persistence"},
    "repositories": {
        "domain",
        "result",
        "settings",
        "cache",
        "persistence",
        "queries",
        "observability",
    },
    "services": {
        "repositories",
        "domain",
        "result",
        "settings",
        "cache",
        "persistence",
        "queries",
        "observability",
    },
    "demo": {
        "services",
        "repositories",
        "domain",
        "result",
        "settings",
        "cache",
        "persistence",
        "queries",
        "observability",
    },
    "migrations": {"persistence", "settings"},
    "core": {
        "repositories",
        "result",
        "cache",
        "persistence",
        "queries",
        "observability",
    },
}
#: Entrypoints may import every inner part (never each other's internals).
ENTRYPOINTS = {"api", "cli", "perf_summary", "__main__"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def _modules() -> dict[str, Path]:
    return {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The module ``name`` refers to (a package's submodule, a module, or a package)."""
    modules = _modules()
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def _imports(module: str) -> set[str]:
    path = _modules()[module]
    tree = ast.parse(path.read_text(), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] or [base]
        else:
            continue
        for name in names:
            if name == "slotwise" or name.startswith("slotwise."):
                target = _resolve(name)
                if target is not None and target != module:
                    found.add(target)
    return found


def _graph() -> dict[str, set[str]]:
    return {module: _imports(module) for module in _modules()}


def _part(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                item = stack.pop()
                on_stack.discard(item)
                component.append(item)
                if item == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_modules() -> None:
    assert _cycles(_graph()) == []


def test_dependencies_point_inwards() -> None:
    wrong: list[str] = []
    for module, targets in sorted(_graph().items()):
        part = _part(module)
        if part in ENTRYPOINTS or part == "__init__":
            continue
        assert part in ALLOWED, f"{part!r} ({module}) is not placed in the layer rules"
        for target in sorted(targets):
            other = _part(target)
            if other != part and other not in ALLOWED[part]:
                wrong.append(f"{module} -> {target}")
    assert wrong == []


def test_migrations_carry_their_own_ddl() -> None:
    """A revision is history: importing live model code would let a later edit rewrite it."""
    for module in _modules():
        if module.startswith("slotwise.migrations.versions."):
            assert _imports(module) == set(), module


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ],
)
def test_the_cycle_finder_finds_cycles(
    graph: dict[str, set[str]], expected: list[list[str]]
) -> None:
    assert _cycles(graph) == expected


def test_relative_and_lazy_imports_are_seen() -> None:
    graph = _graph()
    assert "slotwise.cache.codec" in graph["slotwise.repositories.cache_entities"]
    assert any(t.startswith("slotwise.") for t in graph["slotwise.cli"])
