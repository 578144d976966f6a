"""/api/candidates/{telegram_id}/slots: a candidate's upcoming active slots (bot or admin; with
the bot's Telegram token configured, a bot token sees only its init data user's own)."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter

from slotwise.api.deps import CandidateDep, Limit, Offset, PathId, UowDep
from slotwise.api.errors import error_responses, unwrap
from slotwise.api.schemas import Page, SlotOut

router = APIRouter(
    prefix="/api/candidates",
    tags=["candidates"],
    responses=error_responses(401, 403, 413, 422, 503),
)


@router.get(
    "/{telegram_id}/slots",
    response_model=Page[SlotOut],
    summary="The candidate's upcoming pending, booked and confirmed slots",
)
async def candidate_slots(
    who: CandidateDep,
    telegram_id: PathId,
    uow: UowDep,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Page[SlotOut]:
    who.acting_for(telegram_id)
    # At most one active slot per recruiter: the list is short, so it is cut here.
    slots = unwrap(await uow.slots.get_upcoming_for_candidate(telegram_id, datetime.now(UTC)))
    items = [SlotOut.of(s) for s in slots[offset : offset + limit]]
    return Page(items=items, total=len(slots), limit=limit, offset=offset)
