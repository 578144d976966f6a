"""The benchmark's import graph: no circle between its modules (lazy imports inside functions
count too), and the product never imports it (it is not in the wheel).

Read from the source with ``ast``, so nothing is imported to check it.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _imported(path: Path, package: str) -> Iterator[str]:
    """The modules of ``package`` that ``path`` imports (``from bench import x`` -> bench.x)."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names if a.name.split(".")[0] == package)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == package:
                yield from (f"{package}.{a.name}" for a in node.names)
            elif node.module.split(".")[0] == package:
                yield node.module


def _graph() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for path in sorted((ROOT / "bench").glob("*.py")):
        name = "bench" if path.stem == "__init__" else f"bench.{path.stem}"
        graph[name] = set(_imported(path, "bench")) - {name}
    return graph


def _circle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of ``graph`` as a path that returns to its start, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt, [*path, nxt])):
                return found
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start, [start])):
            return found
    return None


def test_the_circle_finder_finds_one() -> None:
    assert _circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _circle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None


def test_no_circle_between_the_benchmark_modules() -> None:
    graph = _graph()
    assert {"bench.runner", "bench.scenarios", "bench.context"} <= graph.keys()
    assert _circle(graph) is None


def test_the_product_never_imports_the_benchmark() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(set(_imported(path, "bench")))
        for path in (ROOT / "src").rglob("*.py")
        if any(_imported(path, "bench"))
    }
    assert offenders == {}
