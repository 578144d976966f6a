"""Database-side rules that have no portable DDL, and how their violations are recognised.

SQLite serialises writers, so a trigger that looks for an overlapping slot is race-free there;
PostgreSQL uses the exclusion constraint ``ex_slots_no_overlap`` (see ``tables``). The
migrations carry their own copy of this SQL: a migration is history and must not change when
this module does.
"""

from __future__ import annotations

SQLITE_OVERLAP_TRIGGERS = (
    """
CREATE TRIGGER IF NOT EXISTS trg_slots_no_overlap_insert
BEFORE INSERT ON slots
WHEN NEW.status <> 'canceled'
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of this recruiter')
    WHERE EXISTS (
        SELECT 1 FROM slots s
        WHERE s.recruiter_id = NEW.recruiter_id AND s.status <> 'canceled'
          AND s.start_utc < NEW.end_utc AND NEW.start_utc < s.end_utc
    );
END
""",
    """
CREATE TRIGGER IF NOT EXISTS trg_slots_no_overlap_update
BEFORE UPDATE OF start_utc, end_utc, status, recruiter_id ON slots
WHEN NEW.status <> 'canceled'
BEGIN
    SELECT RAISE(ABORT, 'slot overlaps another slot of this recruiter')
    WHERE EXISTS (
        SELECT 1 FROM slots s
        WHERE s.id <> NEW.id AND s.recruiter_id = NEW.recruiter_id AND s.status <> 'canceled'
          AND s.start_utc < NEW.end_utc AND NEW.start_utc < s.end_utc
    );
END
""",
)

#: Text in a database error that means "this slot overlaps another of its recruiter":
#: the PostgreSQL constraint's name, the SQLite trigger's message.
OVERLAP_ERROR_MARKERS = ("ex_slots_no_overlap", "slot overlaps another slot")
