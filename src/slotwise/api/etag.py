"""Strong ETags of single resources, and ``If-Match`` as a precondition of their writes.

The tag is a hash of the JSON body the API renders for the resource, so whatever a client can
see changes it, and no version column is needed. A write with ``If-Match`` hands the service a
precondition that it decides on the row-locked row inside its transaction (so two writers
sending the same tag cannot both pass): a mismatch is 412 ``precondition_failed``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Header, Response

from slotwise.api.render import OrjsonResponse, render_json
from slotwise.services.common import Precondition

E = TypeVar("E")

Rendered = dict[str, Any]

#: One entity-tag of an If-Match list: optionally weak (W/), then a quoted opaque string.
_ENTITY_TAG = re.compile(r'\s*(W/)?("[\x21\x23-\x7e\x80-\xff]*")\s*(?:,|$)')

IfMatchHeader = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description=(
            "Change only if the resource's current ETag is one of these (`*`: any existing "
            "version); otherwise 412 `precondition_failed`. Without it the write is unconditional."
        ),
    ),
]


def etag_of(body: bytes) -> str:
    """The strong ETag of a rendered body."""
    return f'"{hashlib.sha256(body).hexdigest()[:32]}"'


def tagged_response(content: Rendered, status_code: int = 200) -> Response:
    """``content`` as JSON (as ``json_response`` sends it), with the ETag of those bytes."""
    body = render_json(content)
    return Response(
        body,
        status_code=status_code,
        media_type=OrjsonResponse.media_type,
        headers={"ETag": etag_of(body)},
    )


@dataclass(frozen=True, slots=True)
class IfMatch:
    """A parsed ``If-Match``: ``*``, or the strong tags it lists (weak ones never match, as
    RFC 9110's strong comparison requires; a malformed header lists nothing, so it fails)."""

    any: bool
    tags: frozenset[str]

    @classmethod
    def parse(cls, header: str) -> IfMatch:
        if header.strip() == "*":
            return cls(True, frozenset())
        tags: set[str] = set()
        position = 0
        while position < len(header):
            found = _ENTITY_TAG.match(header, position)
            if found is None or found.end() == position:
                return cls(False, frozenset())
            if found.group(1) is None:
                tags.add(found.group(2))
            position = found.end()
        return cls(False, frozenset(tags))

    def matches(self, etag: str) -> bool:
        return self.any or etag in self.tags


def precondition(header: str | None, render: Callable[[E], Rendered]) -> Precondition[E]:
    """The service's precondition for ``If-Match: header`` (None without the header): the
    locked entity, rendered as the API renders it, must carry one of the header's tags."""
    if header is None:
        return None
    expected = IfMatch.parse(header)
    return lambda entity: expected.matches(etag_of(render_json(render(entity))))


def etag_documented(status: int = 200) -> dict[int | str, dict[str, Any]]:
    """OpenAPI ``responses=`` entry: the response at ``status`` carries an ``ETag``."""
    header = {
        "description": "strong ETag of this body (for If-Match)",
        "schema": {"type": "string"},
    }
    return {status: {"headers": {"ETag": header}}}
