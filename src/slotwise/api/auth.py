"""Bearer-token auth with two roles: ``admin`` (everything) and ``bot`` (the Telegram bot).

Tokens come from settings and are compared with ``hmac.compare_digest`` against every
configured token (no early exit), so timing tells nothing about how close a guess was.
Tokens are never logged.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from slotwise.api.errors import ApiError
from slotwise.settings import Settings


class Role(enum.StrEnum):
    ADMIN = "admin"
    BOT = "bot"


@dataclass(frozen=True, slots=True)
class TokenTable:
    """The configured tokens as bytes, ready for constant-time comparison."""

    admin: tuple[bytes, ...]
    bot: tuple[bytes, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> TokenTable:
        return cls(
            admin=tuple(t.get_secret_value().encode() for t in settings.slotwise_admin_tokens),
            bot=tuple(t.get_secret_value().encode() for t in settings.slotwise_bot_tokens),
        )

    def role_for(self, token: str) -> Role | None:
        candidate = token.encode("utf-8", "surrogateescape")
        is_admin = False
        is_bot = False
        for known in self.admin:
            is_admin |= hmac.compare_digest(candidate, known)
        for known in self.bot:
            is_bot |= hmac.compare_digest(candidate, known)
        if is_admin:
            return Role.ADMIN
        return Role.BOT if is_bot else None


#: Declares the scheme in OpenAPI; ``auto_error=False`` so a missing header gets our 401 shape.
bearer_scheme = HTTPBearer(auto_error=False, description="`Authorization: Bearer <token>`")

_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def authenticate(request: Request, credentials: HTTPAuthorizationCredentials | None) -> Role:
    """The caller's role, or a 401 ``unauthorized``."""
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise ApiError(401, "unauthorized", "missing bearer token", headers=_UNAUTHORIZED_HEADERS)
    tokens: TokenTable = request.app.state.tokens
    role = tokens.role_for(credentials.credentials)
    if role is None:
        raise ApiError(401, "unauthorized", "unknown bearer token", headers=_UNAUTHORIZED_HEADERS)
    return role


def require(role: Role, allowed: frozenset[Role]) -> Role:
    if role not in allowed:
        raise ApiError(
            403,
            "forbidden",
            f"the {role.value} role may not do this",
            {"role": role.value, "allowed": sorted(r.value for r in allowed)},
        )
    return role
