"""The demo data set: a realistic small recruiting team (``data``) and the idempotent seed that
stores it through the repositories of a unit of work (``seed``), as any other writer does:
validated, and with the cache invalidated after the commit."""
