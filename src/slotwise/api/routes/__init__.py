"""One router module per resource (slots, recruiters, cities, candidates, templates), plus
health and metrics."""
