"""FastAPI dependencies as ``Annotated`` aliases, so route signatures stay short and typed.

* ``UowDep``: a read-only unit of work for queries (never committed).
* ``UowFactoryDep``: what services take; each use case opens (and commits) its own.
* ``AnyRoleDep`` / ``BotOrAdminDep`` / ``AdminDep``: authentication and the role check.
* ``CandidateDep``: a bot-or-admin caller of a candidate action, bound to its Telegram user.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Path, Query, Request, Security
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from slotwise.api.auth import Role, RoleGuard
from slotwise.api.identity import CandidateCaller, candidate_caller
from slotwise.api.schemas import INT64_MAX
from slotwise.repositories import UnitOfWork
from slotwise.services.ports import UowFactory


def _session_factory(request: Request) -> async_sessionmaker[AsyncSession]:
    factory: async_sessionmaker[AsyncSession] = request.app.state.session_factory
    return factory


async def get_uow_factory(request: Request) -> UowFactory:
    """Async on purpose: FastAPI runs a plain ``def`` dependency in the threadpool."""
    factory = _session_factory(request)
    return lambda: UnitOfWork(factory)


async def get_read_uow(request: Request) -> AsyncIterator[UnitOfWork]:
    async with UnitOfWork(_session_factory(request), read_only=True) as uow:
        yield uow


any_role = RoleGuard(frozenset(Role))
bot_or_admin = RoleGuard(frozenset({Role.ADMIN, Role.BOT}))
admin_only = RoleGuard(frozenset({Role.ADMIN}))

UowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
UowFactoryDep = Annotated[UowFactory, Depends(get_uow_factory)]
AnyRoleDep = Annotated[Role, Security(any_role)]
BotOrAdminDep = Annotated[Role, Security(bot_or_admin)]
AdminDep = Annotated[Role, Security(admin_only)]
CandidateDep = Annotated[CandidateCaller, Depends(candidate_caller)]


#: A path id: positive and within 64 bits (anything else is a 422, not a database error).
PathId = Annotated[int, Path(ge=1, le=INT64_MAX)]
#: An optional id filter in the query string.
QueryId = Annotated[int | None, Query(ge=1, le=INT64_MAX)]
Limit = Annotated[int, Query(ge=1, le=500, description="page size, 1-500")]
Offset = Annotated[int, Query(ge=0, le=INT64_MAX, description="rows to skip")]
