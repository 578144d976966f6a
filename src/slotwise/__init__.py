"""slotwise: booking interview slots with recruiters.

Where things live (dependencies point down this list, never up): ``api`` and ``cli`` (the
entrypoints) -> ``services`` (use cases; the only place that commits) -> ``repositories``
(one per aggregate, cached reads, the UnitOfWork that attaches them) -> the generic packages
``cache``, ``persistence``, ``queries``, ``observability`` -> ``domain`` (pure rules and
entities), ``result``, ``settings``. ``core`` keeps the user's document's import paths as
re-exports; ``demo`` seeds example data through the repositories.
"""
