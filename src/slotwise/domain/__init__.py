"""The domain: entities (``models``), the slot life cycle (``status``) and validation
(``validation``). Pure: no I/O, and nothing of slotwise imported; the persistence side maps
these classes onto tables."""
