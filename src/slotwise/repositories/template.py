"""Message templates: a city's own text, else the global one (city_id NULL)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import case, or_
from sqlalchemy.ext.asyncio import AsyncSession

from slotwise.cache.decorators import cached, invalidate_cache
from slotwise.cache.keys import CacheTTL
from slotwise.domain.models import Template
from slotwise.persistence.repository.base import Page
from slotwise.repositories.cache_keys import CacheKeys
from slotwise.repositories.locking import LockingReads
from slotwise.result import Error, Failure, NotFoundError, Result, Success


class TemplateRepository(LockingReads[Template]):
    def __init__(self, session: AsyncSession) -> None:
        super().__init__(Template, session)

    # Reads below are cached; writes invalidate what they change after commit.
    # A global template changes what every city resolves: any write drops all of them.
    @invalidate_cache("templates:*")
    async def add(self, entity: Template) -> Result[Template, Error]:
        return await super().add(entity)

    @invalidate_cache("templates:*")
    async def update(self, entity: Template) -> Result[Template, Error]:
        return await super().update(entity)

    @invalidate_cache("templates:*")
    async def delete(self, id: int) -> Result[bool, Error]:
        return await super().delete(id)

    @cached(
        key_builder=lambda self, city_id: CacheKeys.templates_for_city(city_id), ttl=CacheTTL.LONG
    )
    async def get_for_city(self, city_id: int | None) -> Result[Sequence[Template], Error]:
        """The templates a city sees: its own, plus global ones for keys it does not override."""
        stmt = self._select().where(
            or_(Template.city_id == city_id, Template.city_id.is_(None))
            if city_id is not None
            else Template.city_id.is_(None)
        )
        rows = await self._scalars("get_for_city", stmt.order_by(Template.key, Template.id))
        if isinstance(rows, Failure):
            return rows
        chosen: dict[str, Template] = {}
        for template in rows.value:
            if template.key not in chosen or template.city_id is not None:
                chosen[template.key] = template
        return Success([chosen[k] for k in sorted(chosen)])

    @cached(
        key_builder=lambda self, city_id, key: CacheKeys.template_resolved(city_id, key),
        ttl=CacheTTL.LONG,
    )
    async def resolve(self, city_id: int | None, key: str) -> Result[Template, Error]:
        """The city's template for ``key``, else the global one, else NotFoundError."""
        scope = (
            or_(Template.city_id == city_id, Template.city_id.is_(None))
            if city_id is not None
            else Template.city_id.is_(None)
        )
        stmt = (
            self._select()
            .where(Template.key == key, scope)
            .order_by(case((Template.city_id.is_(None), 1), else_=0))
            .limit(1)
        )
        found = await self._one_or_none("resolve", stmt)
        if isinstance(found, Failure):
            return found
        if found.value is None:
            return Failure(
                NotFoundError("Template", key, f"no template {key!r} for city {city_id}")
            )
        return Success(found.value)

    async def list(
        self,
        city_id: int | None = None,
        key: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> Result[Page[Template], Error]:
        stmt = self._select()
        if city_id is not None:
            stmt = stmt.where(Template.city_id == city_id)
        if key is not None:
            stmt = stmt.where(Template.key == key)
        return await self._page("list", stmt.order_by(Template.id), limit, offset)
