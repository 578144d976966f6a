"""``slotwise bench``: every performance claim of the user's document, measured side by side.

Each figure is a ratio of variants run in the same process, in interleaved rounds, so that a
busy machine slows every variant alike. The runner (``runner.py``) owns the order; each
scenario lives in its own module and returns plain dicts that ``report.py`` turns into the
markdown table, the JSON file and the charts.
"""
