"""``slotwise.core.query_optimization``: the document's path to the query helpers."""

from slotwise.queries.optimization import (
    BatchLoader,
    BatchResult,
    QueryCache,
    QueryOptimizer,
    UnknownRelationshipError,
    current_query_cache,
    query_cache_scope,
)
from slotwise.repositories.optimized_queries import OptimizedQueries

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
