"""The database side: engines and sessions (``db``), Alembic migrations (``migrate``), the
Unit of Work that owns a transaction and its after-commit actions (``uow``), and the generic
repository with its database-error mapping (``repository``); the schema (``schema``) and the
mapping of the domain classes onto it (``orm``).

The mapping is imported here so that any use of the database side maps the domain first.
"""

from slotwise.persistence import orm as orm
