#!/usr/bin/env python3
"""One entry point for a fresh machine with only Python 3.11+.

    python3 dev.py serve   # venv + locked deps, migrate, seed demo data, run the API on SQLite
    python3 dev.py test    # venv + locked deps, run the test suite
    python3 dev.py check   # ruff + mypy
    python3 dev.py bench   # the benchmark (python -m bench; --quick for the short run, --help)

Why a script and not make: it must work where only Python is installed. It installs from
requirements.lock (hashes pinned), so every machine gets the same versions.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("SLOTWISE_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PY = BIN / "python"
STAMP = VENV / ".slotwise-installed"


def _digest() -> str:
    h = hashlib.sha256()
    for name in ("requirements.lock", "pyproject.toml"):
        h.update((ROOT / name).read_bytes())
    return h.hexdigest()


def ensure_env() -> None:
    """Create the venv and install the locked dependencies, only when the lock changed."""
    if sys.version_info < (3, 11):
        sys.exit("slotwise needs Python 3.11 or newer")
    if not PY.exists():
        print(f"creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    digest = _digest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("installing locked dependencies (first run takes a minute or two)", flush=True)
    pip = [str(PY), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--require-hashes", "-r", str(ROOT / "requirements.lock")], check=True)
    subprocess.run([*pip, "--no-deps", "-e", str(ROOT)], check=True)
    STAMP.write_text(digest)


def run(*args: str) -> int:
    return subprocess.run([str(BIN / args[0]), *args[1:]], cwd=ROOT).returncode


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help"}:
        print(__doc__)
        return 0
    command, rest = argv[0], argv[1:]
    ensure_env()
    if command == "serve":
        for step in (("slotwise", "db", "upgrade"), ("slotwise", "seed", "--demo")):
            if code := run(*step):
                return code
        return run("slotwise", "serve", *rest)
    if command == "test":
        code = run("pytest", *rest)
        if code == 5:
            print("pytest collected no tests: that is a failure here", file=sys.stderr)
            return 1
        return code
    if command == "check":
        paths = ("src", "tests", "bench")
        return (
            run("ruff", "check", *paths)
            or run("ruff", "format", "--check", *paths)
            or run("mypy")
        )
    if command == "bench":
        # The benchmark is not part of the installed package: ``-m`` imports it from ROOT.
        return run("python", "-m", "bench", *rest)
    if command == "shell":
        return run(*rest)
    print(f"unknown command {command!r}\n{__doc__}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
