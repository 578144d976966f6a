"""``slotwise.core.query_optimization``: the document's path to the query helpers."""

from slotwise.queries.optimization import (
    BatchLoader,
    BatchResult,
    OptimizedQueries,
    QueryCache,
    QueryOptimizer,
    UnknownRelationshipError,
    current_query_cache,
    query_cache_scope,
)

__all__ = [
    "BatchLoader",
    "BatchResult",
    "OptimizedQueries",
    "QueryCache",
    "QueryOptimizer",
    "UnknownRelationshipError",
    "current_query_cache",
    "query_cache_scope",
]
