"""The query strings of ``GET /api/slots`` that the fast path reads itself, and nothing more.

Why a strict subset: the fast path must answer exactly what FastAPI's validation would
(pydantic accepts ``007``, ``+7``, many datetime spellings...). Here only one canonical
spelling of each value is accepted; anything else (a repeated key, a non-canonical number, a
datetime outside the strict ISO form or the API's range) is ``None``: the request then goes
through FastAPI, which answers it, 422 included. Unknown keys are ignored, as FastAPI does.
"""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import parse_qsl

from slotwise.api.schemas import EARLIEST, INT64_MAX, LATEST
from slotwise.domain.models import SlotStatus
from slotwise.repositories import SlotFilters

_INT = re.compile(r"0|[1-9][0-9]{0,18}")
_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})"
)
_STATUSES: dict[str, SlotStatus] = {s.value: s for s in SlotStatus}
#: The parameters of ``routes.slots.list_slots`` (a test keeps the two in step).
SLOT_LIST_PARAMS = frozenset(
    {"recruiter_id", "city_id", "status", "start_from", "start_to", "limit", "offset"}
)


class SlotListQuery:
    """A parsed ``GET /api/slots`` query: the filters and the page."""

    __slots__ = ("filters", "limit", "offset")

    def __init__(self, filters: SlotFilters, limit: int, offset: int) -> None:
        self.filters = filters
        self.limit = limit
        self.offset = offset


def query_params(raw: bytes) -> dict[str, str] | None:
    """The query string as Starlette decodes it, or None when a key repeats."""
    if not raw:
        return {}
    params: dict[str, str] = {}
    for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True):
        if key in params:
            return None
        params[key] = value
    return params


def canonical_int(text: str | None, low: int, high: int = INT64_MAX) -> int | None:
    """``text`` as an int if it is the one plain spelling of a number in ``[low, high]``."""
    if text is None or _INT.fullmatch(text) is None:
        return None
    value = int(text)
    return value if low <= value <= high else None


def canonical_datetime(text: str) -> datetime | None:
    """An aware datetime in the API's range, written ``YYYY-MM-DDTHH:MM:SS[.ffffff](Z|±HH:MM)``."""
    if _DATETIME.fullmatch(text) is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return None
    if value.utcoffset() is None or not EARLIEST <= value < LATEST:
        return None
    return value


def _optional_id(params: dict[str, str], name: str) -> tuple[bool, int | None]:
    if name not in params:
        return True, None
    value = canonical_int(params[name], 1)
    return value is not None, value


def _optional_datetime(params: dict[str, str], name: str) -> tuple[bool, datetime | None]:
    if name not in params:
        return True, None
    value = canonical_datetime(params[name])
    return value is not None, value


def slot_list_query(raw: bytes) -> SlotListQuery | None:
    """The filters and page of a ``GET /api/slots`` query string, or None (FastAPI decides)."""
    params = query_params(raw)
    if params is None:
        return None
    ok_r, recruiter_id = _optional_id(params, "recruiter_id")
    ok_c, city_id = _optional_id(params, "city_id")
    ok_f, start_from = _optional_datetime(params, "start_from")
    ok_t, start_to = _optional_datetime(params, "start_to")
    status: SlotStatus | None = None
    if "status" in params:
        status = _STATUSES.get(params["status"])
        if status is None:
            return None
    limit = canonical_int(params.get("limit", "100"), 1, 500)
    offset = canonical_int(params.get("offset", "0"), 0)
    if not (ok_r and ok_c and ok_f and ok_t) or limit is None or offset is None:
        return None
    filters = SlotFilters(recruiter_id, city_id, status, start_from, start_to)
    return SlotListQuery(filters, limit, offset)
