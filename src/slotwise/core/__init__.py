"""The user's document's import paths, kept as thin re-exports.

PHASE2_PERFORMANCE.md is written against ``backend.core.cache``, ``backend.core.uow`` and so on;
these modules let its examples run with ``slotwise.`` in place of ``backend.``. The code itself
lives in the packages named for what they own: ``slotwise.cache``, ``slotwise.observability``,
``slotwise.queries``, ``slotwise.persistence`` and ``slotwise.result``.
"""
