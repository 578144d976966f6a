"""The domain: entities (``models``), the slot life cycle (``status``), validation
(``validation``) and the audit trail of booking transitions (``audit``). Pure: no I/O, and
nothing of slotwise imported; the persistence side maps these classes onto tables."""
