"""The domain is plain Python: defaults set by the constructor, no SQLAlchemy at run time, and
migrations that describe history without importing the live code."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from slotwise.domain.models import City, Recruiter, Slot, SlotStatus, Template, User

SRC = Path(__file__).resolve().parents[2] / "src" / "slotwise"


def test_a_new_entity_starts_from_the_domain_defaults() -> None:
    slot = Slot(recruiter_id=1)
    assert (slot.status, slot.duration_min) == (SlotStatus.FREE, 60)
    recruiter = Recruiter(name="Anna")
    assert (recruiter.timezone, recruiter.active) == ("UTC", True)
    assert City(name="Moscow", timezone="Europe/Moscow").active is True
    assert Recruiter(name="Boris", active=False).active is False  # given values win


def test_the_constructor_takes_columns_and_relations_and_nothing_else() -> None:
    moscow = City(name="Moscow", timezone="Europe/Moscow")
    assert Recruiter(name="Anna", cities=[moscow]).cities == [moscow]
    assert Template(key="k", text="t", city=moscow).city is moscow
    with pytest.raises(TypeError, match="'nmae' is an invalid keyword argument for User"):
        User(nmae="Ivan")
    with pytest.raises(TypeError):
        Slot(MIN_DURATION=5)  # a class constant is not a column


def _runtime_imports(path: Path) -> set[str]:
    """Modules ``path`` imports outside ``if TYPE_CHECKING:`` blocks."""
    tree = ast.parse(path.read_text())
    typing_only = {
        id(node)
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test) == "TYPE_CHECKING"
        for stmt in block.body
        for node in ast.walk(stmt)
    }
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", sorted((SRC / "domain").glob("*.py")), ids=lambda p: p.name)
def test_the_domain_imports_no_sqlalchemy_and_nothing_of_ours_at_run_time(path: Path) -> None:
    for module in _runtime_imports(path):
        assert not module.startswith("sqlalchemy"), module
        assert not module.startswith("slotwise.") or module.startswith("slotwise.domain"), module


@pytest.mark.parametrize(
    "path", sorted((SRC / "migrations" / "versions").glob("*.py")), ids=lambda p: p.name
)
def test_a_migration_imports_no_live_code(path: Path) -> None:
    """A migration is history: an edit of the models must not change what it does."""
    assert not any(m == "slotwise" or m.startswith("slotwise.") for m in _runtime_imports(path))
