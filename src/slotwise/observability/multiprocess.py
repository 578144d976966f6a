"""Preparing the directory several worker processes share for their Prometheus samples.

Kept apart from ``slotwise.observability.prometheus`` on purpose: the parent process that starts the
workers must set ``PROMETHEUS_MULTIPROC_DIR`` *before* any metric object exists (prometheus-
client picks its storage when a metric is created), so it must not import the metrics.
"""

from __future__ import annotations

import os
import tempfile

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare_multiprocess_dir(path: str) -> None:
    """Create (or empty) the directory, before the workers start: stale files from a previous
    run would otherwise add old counts to the new server's."""
    os.makedirs(path, exist_ok=True)
    for name in os.listdir(path):
        if name.endswith(".db"):
            os.remove(os.path.join(path, name))


def multiprocess_dir() -> str | None:
    """The shared metrics directory of a multi-process server, if there is one."""
    return os.environ.get(MULTIPROC_ENV) or None


def setup_multiprocess(workers: int) -> str | None:
    """Before starting ``workers`` processes: make them share a fresh metrics directory
    (``PROMETHEUS_MULTIPROC_DIR``, created if not given). One worker needs none."""
    path = multiprocess_dir()
    if path is None and workers <= 1:
        return None
    if path is None:
        path = tempfile.mkdtemp(prefix="slotwise-prometheus-")
    prepare_multiprocess_dir(path)
    os.environ[MULTIPROC_ENV] = path
    return path
