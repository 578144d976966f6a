"""The HTTP edge: the FastAPI app (``app``), one router module per resource (``routes``),
dependency aliases (``deps``), request/response schemas apart from the ORM (``schemas``),
authentication, error mapping and pure-ASGI middleware. Thin: it validates, calls a service
or a repository read, and turns Results into responses."""
