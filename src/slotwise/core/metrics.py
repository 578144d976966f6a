"""``slotwise.core.metrics``: the document's path to the performance metrics."""

from slotwise.observability.metrics import (
    MetricsCollector,
    PerformanceTimer,
    format_performance_summary,
    get_metrics,
    log_performance_summary,
    timed,
)

__all__ = [
    "MetricsCollector",
    "PerformanceTimer",
    "format_performance_summary",
    "get_metrics",
    "log_performance_summary",
    "timed",
]
