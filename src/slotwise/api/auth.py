"""Bearer-token auth with two roles: ``admin`` (everything) and ``bot`` (the Telegram bot).

Tokens come from settings and are compared with ``hmac.compare_digest`` against every
configured token (no early exit), so timing tells nothing about how close a guess was.
Tokens are never logged.

Each role check is one ``Security`` dependency (``RoleGuard``, an ``HTTPBearer``): the header
is parsed, compared and checked in one async call, never in the threadpool, and OpenAPI
still documents the one ``HTTPBearer`` scheme.
"""

from __future__ import annotations

import enum
import hmac
from dataclasses import dataclass

from fastapi import Request
from fastapi.security import HTTPBearer
from fastapi.security.utils import get_authorization_scheme_param
from starlette.types import Scope

from slotwise.api.errors import ApiError
from slotwise.domain.audit import Actor, ActorRole
from slotwise.settings import Settings


class Role(enum.StrEnum):
    ADMIN = "admin"
    BOT = "bot"

    @property
    def actor(self) -> Actor:
        """The caller as a use case's command names it (recorded in the audit trail)."""
        return Actor(ActorRole(self.value))


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


_SCHEME_DESCRIPTION = "`Authorization: Bearer <token>`"
_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


def _missing() -> ApiError:
    return ApiError(401, "unauthorized", "missing bearer token", headers=_UNAUTHORIZED_HEADERS)


def _role_for_token(request: Request, token: str) -> Role:
    tokens: TokenTable = request.app.state.tokens
    role = tokens.role_for(token)
    if role is None:
        raise ApiError(401, "unauthorized", "unknown bearer token", headers=_UNAUTHORIZED_HEADERS)
    return role


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, parsed as ``HTTPBearer`` does."""
    scheme, token = get_authorization_scheme_param(authorization)
    return token if token and scheme.lower() == "bearer" else None


def has_known_token(tokens: TokenTable, scope: Scope) -> bool:
    """Whether a raw ASGI request carries a configured bearer token (for middleware that must
    tell anonymous callers apart before routing)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            token = bearer_token(value.decode("latin-1"))
            return token is not None and tokens.role_for(token) is not None
    return False


class RoleGuard(HTTPBearer):
    """``Security(RoleGuard(...))``: the caller's role if it is one of ``allowed``, else a 401
    (no or unknown token) or 403 (a role that may not do this). Documented as ``HTTPBearer``."""

    def __init__(self, allowed: frozenset[Role]) -> None:
        super().__init__(
            scheme_name="HTTPBearer", auto_error=False, description=_SCHEME_DESCRIPTION
        )
        self.allowed = allowed

    async def __call__(self, request: Request) -> Role:  # type: ignore[override]
        token = bearer_token(request.headers.get("authorization"))
        if token is None:
            raise _missing()
        return require(_role_for_token(request, token), self.allowed)


def require(role: Role, allowed: frozenset[Role]) -> Role:
    if role not in allowed:
        raise ApiError(
            403,
            "forbidden",
            f"the {role.value} role may not do this",
            {"role": role.value, "allowed": sorted(r.value for r in allowed)},
        )
    return role
