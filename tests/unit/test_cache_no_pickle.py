"""Nothing read back from Redis may be in a code-executing format."""

from __future__ import annotations

import re
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src" / "slotwise"
_MODULES = r"(pickle|cPickle|_pickle|dill|cloudpickle|marshal|shelve|jsonpickle)"
#: an import of one of them, or a call into one (prose that says "never pickle" is fine)
FORBIDDEN = re.compile(rf"^\s*(import|from)\s+{_MODULES}\b|\b{_MODULES}\.\w+|__import__")


def test_no_pickle_anywhere_in_the_package() -> None:
    offenders = [
        f"{path.relative_to(SRC)}:{number}: {line.strip()}"
        for path in sorted(SRC.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), start=1)
        if FORBIDDEN.search(line)
    ]
    assert offenders == []


def test_the_forbidden_pattern_catches_the_usual_spellings() -> None:
    for line in ("import pickle", "from pickle import loads", "import dill as d", "marshal.loads"):
        assert FORBIDDEN.search(line)
    assert not FORBIDDEN.search('"""Never pickle."""')
