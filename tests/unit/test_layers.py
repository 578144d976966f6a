"""The generic persistence package knows nothing of slotwise's repositories, services or API:
the slotwise ``UnitOfWork`` builds on it, never the other way round."""

from __future__ import annotations

import ast
from pathlib import Path

import slotwise.persistence

OUTER = ("slotwise.repositories", "slotwise.services", "slotwise.api", "slotwise.cli")


def imported_modules(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            found.add(node.module)
    return found


def test_persistence_imports_no_outer_layer() -> None:
    root = Path(slotwise.persistence.__file__).parent
    files = sorted(root.rglob("*.py"))
    assert files
    offending = {
        (str(path.relative_to(root)), name)
        for path in files
        for name in imported_modules(path)
        if name.startswith(OUTER)
    }
    assert offending == set()
