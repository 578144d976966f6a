"""The benchmark (``python3 dev.py bench``, i.e. ``python -m bench``): every performance claim
of the user's document, measured side by side. It lives outside the product package: it
brings competitor libraries and charting, and the product carries no switch or hook for it.

Each figure is a ratio of variants run in the same process, in interleaved rounds, so that a
busy machine slows every variant alike. The registry (``scenarios.py``) owns the order, the
runner (``runner.py``) runs the list it is given (``cli.py`` hands it over); each scenario
lives in its own module and returns plain dicts that ``report.py`` turns into the markdown
table, the JSON file and the charts.
"""
