"""Hot list pages (``GET /api/slots``, ``GET /api/recruiters``) cached as rendered JSON.

Why: the repositories cache a page as entities, so a hit still rebuilt every entity into the
session and rendered it again, which cost about as much as the database. Here the rendered
body itself is cached. Each key is the repository page's key plus a ``:json`` segment, so it
lives under the same namespaces and version counters: exactly the writes that invalidate the
repository's page (after their commit) invalidate this one, and a load that raced a write is
not stored (the same lease check). The body is cached as text (no pickle); on a hit it goes
out as it is, byte for byte what the uncached path renders. The view without candidates (what
bot tokens see) is cached under a key of its own.
"""

from __future__ import annotations

from slotwise.api.render import page_dict, recruiter_dict, render_json, slot_dict
from slotwise.cache.decorators import cached
from slotwise.cache.keys import CacheTTL
from slotwise.domain.models import Recruiter, Slot
from slotwise.persistence.repository.base import Page
from slotwise.repositories import SlotFilters, UnitOfWork
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.slot import list_key as slot_list_key
from slotwise.result import Error, Result

#: Appended to a repository page's key: the rendered view of that page. The number is the
#: render format's version: bump it whenever ``api.render`` changes its output, so a deploy
#: never serves bodies rendered by the previous release.
RENDER_VERSION = 1
VIEW_SEGMENT = f"json{RENDER_VERSION}"


#: The segment of the view without candidate data.
PUBLIC_VIEW_SEGMENT = f"{VIEW_SEGMENT}p"


def slots_page_key(filters: SlotFilters, limit: int, offset: int, with_candidates: bool) -> str:
    """The key of one rendered ``GET /api/slots`` page (also read by ``api.fast_path``)."""
    view = VIEW_SEGMENT if with_candidates else PUBLIC_VIEW_SEGMENT
    return f"{slot_list_key(filters, limit, offset)}:{view}"


def _slots_key(
    uow: UnitOfWork, filters: SlotFilters, limit: int, offset: int, with_candidates: bool
) -> str:
    return slots_page_key(filters, limit, offset, with_candidates)


def _recruiters_key(
    uow: UnitOfWork, active: bool | None, city_id: int | None, limit: int, offset: int
) -> str:
    return f"{CacheKeys.recruiters_list(active, city_id, limit, offset)}:{VIEW_SEGMENT}"


def _render_slots(page: Page[Slot], limit: int, offset: int, with_candidates: bool) -> str:
    items = [slot_dict(s, with_candidate=with_candidates) for s in page.items]
    return render_json(page_dict(items, page.total, limit, offset)).decode()


def _render_recruiters(page: Page[Recruiter], limit: int, offset: int) -> str:
    items = [recruiter_dict(r) for r in page.items]
    return render_json(page_dict(items, page.total, limit, offset)).decode()


# The uow is the first argument so that the decorator finds its session (a unit of work
# that wrote what the page shows reads the database, as the repository read does).
@cached(key_builder=_slots_key, ttl=CacheTTL.SHORT)
async def slots_page(
    uow: UnitOfWork, filters: SlotFilters, limit: int, offset: int, with_candidates: bool
) -> Result[str, Error]:
    """The JSON body of ``GET /api/slots`` for these filters and this page."""
    found = await uow.slots.list(filters, limit=limit, offset=offset)
    return found.map(lambda page: _render_slots(page, limit, offset, with_candidates))


@cached(key_builder=_recruiters_key, ttl=CacheTTL.MEDIUM)
async def recruiters_page(
    uow: UnitOfWork, active: bool | None, city_id: int | None, limit: int, offset: int
) -> Result[str, Error]:
    """The JSON body of ``GET /api/recruiters`` for these filters and this page."""
    found = await uow.recruiters.list(active=active, city_id=city_id, limit=limit, offset=offset)
    return found.map(lambda page: _render_recruiters(page, limit, offset))
