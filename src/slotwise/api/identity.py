"""Who a candidate action is made for: the bot may act only for the Telegram user who opened
the Mini App (``X-Telegram-Init-Data``), when ``SLOTWISE_TELEGRAM_BOT_TOKEN`` is set.

Why: the bot token is shared by every candidate's requests, so on its own it proves nothing
about which candidate is asking; Telegram's signed init data does. Admin tokens act for anyone.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Annotated

from fastapi import Header, Request, Security

from slotwise.api.auth import Role, RoleGuard
from slotwise.api.errors import ApiError
from slotwise.api.telegram import InitDataError, validate_init_data
from slotwise.settings import Settings

INIT_DATA_HEADER = "X-Telegram-Init-Data"

_bot_or_admin = RoleGuard(frozenset({Role.ADMIN, Role.BOT}))


@dataclass(frozen=True, slots=True)
class CandidateCaller:
    """The caller of a candidate action; ``telegram_user`` is set when the caller is bound to
    the one Telegram user its init data names."""

    role: Role
    telegram_user: int | None

    def acting_for(self, telegram_id: int) -> None:
        """403 unless this caller may act for the candidate ``telegram_id``."""
        if self.telegram_user is not None and self.telegram_user != telegram_id:
            raise ApiError(
                403,
                "forbidden",
                f"the {INIT_DATA_HEADER} user may act only for itself, not another candidate",
            )


def _forbidden(reason: str) -> ApiError:
    return ApiError(403, "forbidden", f"{INIT_DATA_HEADER}: {reason}")


def _verified_user(settings: Settings, init_data: str | None) -> int:
    token = settings.slotwise_telegram_bot_token
    assert token is not None
    if not init_data:
        raise _forbidden("this header (Telegram Mini App init data) is required with a bot token")
    try:
        user = validate_init_data(
            init_data,
            token.get_secret_value(),
            now=time.time(),
            max_age=settings.slotwise_telegram_init_data_max_age_seconds,
        )
    except InitDataError as exc:
        raise _forbidden(str(exc)) from None
    return user.id


async def candidate_caller(
    request: Request,
    role: Annotated[Role, Security(_bot_or_admin)],
    init_data: Annotated[
        str | None,
        Header(
            alias=INIT_DATA_HEADER,
            description="Telegram Mini App init data; required with a bot token when the "
            "server has SLOTWISE_TELEGRAM_BOT_TOKEN set",
        ),
    ] = None,
) -> CandidateCaller:
    settings: Settings = request.app.state.settings
    if role is Role.ADMIN or settings.slotwise_telegram_bot_token is None:
        return CandidateCaller(role, None)
    return CandidateCaller(role, _verified_user(settings, init_data))
