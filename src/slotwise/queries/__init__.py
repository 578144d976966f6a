"""Query shape and cost: counting and attributing statements (``counter``), the N+1 detector
(``n_plus_one``) and the loading helpers (``optimization``: QueryOptimizer,
BatchLoader, QueryCache)."""
