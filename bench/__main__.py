"""``python -m bench``: the benchmark's command line (``bench.cli``)."""

from bench.cli import main

main()
