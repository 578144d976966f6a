"""The database side: engines and sessions (``db``), Alembic migrations (``migrate``), the
Unit of Work that owns a transaction and its after-commit actions (``uow``), and the generic
repository with its database-error mapping (``repository``)."""
