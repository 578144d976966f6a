"""New request ids: uuid4().hex's spelling, unique, and never shared with a forked child."""

from __future__ import annotations

import os
import uuid

from slotwise.api.middleware.request_id import BATCH, new_request_id, new_request_id_encoded


def test_ids_are_version_4_uuids_in_hex_and_unique() -> None:
    ids = [new_request_id() for _ in range(BATCH * 3)]
    assert len(set(ids)) == len(ids)
    for value in ids:
        parsed = uuid.UUID(value)
        assert parsed.hex == value and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_forked_child_does_not_reuse_its_parents_ids() -> None:
    new_request_id()  # the parent now holds ids made in advance
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        os.write(write, new_request_id().encode())
        os._exit(0)
    os.close(write)
    child = os.read(read, 64).decode()
    os.close(read)
    os.waitpid(pid, 0)
    assert child != new_request_id()


def test_an_id_comes_with_its_bytes() -> None:
    for _ in range(BATCH + 1):  # across a refill
        text, encoded = new_request_id_encoded()
        assert encoded == text.encode("ascii") and uuid.UUID(text).version == 4
