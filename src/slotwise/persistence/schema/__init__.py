"""The database schema: column types (``types``), the tables with their constraints and indexes
(``tables``), and the rules that have no portable DDL (``triggers``). Mapping the domain onto
these tables is ``slotwise.persistence.orm``'s job."""
