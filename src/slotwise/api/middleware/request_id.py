"""New request ids: random version-4 UUIDs in hex, as ``uuid4().hex`` spells them
(asgi-correlation-id's default), made 256 at a time.

Why in batches: ``uuid4().hex`` costs ~2.5 µs (a ``UUID`` object per call), one
``os.urandom`` per id ~0.6 µs; one read of 4 KiB, its version and variant bits set by two
``translate`` calls over strided slices, costs ~0.1 µs an id. A forked child forgets the
ids its parent made, so two processes never hand out the same ones.
"""

from __future__ import annotations

import os
import re

BATCH = 256
_VERSION_4 = bytes((b & 0x0F) | 0x40 for b in range(256))
_RFC_4122_VARIANT = bytes((b & 0x3F) | 0x80 for b in range(256))
_ID = re.compile(".{32}")  # splits the hex text into ids in C, not one slice per id

#: Ready ids with their ASCII bytes (a response header's value). The edge layer pops them
#: inline, ``new_request_id_encoded()`` when it is empty: on a hit served from memory a
#: function call per request costs more than the id.
READY_ENCODED: list[tuple[str, bytes]] = []


def new_request_id_encoded() -> tuple[str, bytes]:
    """A fresh id and its ASCII bytes, both made per batch."""
    try:
        return READY_ENCODED.pop()
    except IndexError:
        raw = bytearray(os.urandom(16 * BATCH))
        raw[6::16] = raw[6::16].translate(_VERSION_4)
        raw[8::16] = raw[8::16].translate(_RFC_4122_VARIANT)
        ids = _ID.findall(raw.hex())
        READY_ENCODED.extend(zip(ids, map(str.encode, ids), strict=True))
        return READY_ENCODED.pop()


def new_request_id() -> str:
    """A fresh id (32 lowercase hex digits, a valid UUID4), from the same batches."""
    return new_request_id_encoded()[0]


os.register_at_fork(after_in_child=READY_ENCODED.clear)
