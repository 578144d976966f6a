"""Property-based run over the OpenAPI schema (schemathesis): whatever a client sends, the API
never answers with a server error, and its responses match the schema it publishes.

Bounded (a dozen examples per operation, a few hundred in all) so it stays a fast CI step.
The app runs in schemathesis' own event-loop thread, so it gets an engine of its own
(``create_app(settings)``) over the test database.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from slotwise.api.app import create_app
from slotwise.domain.models import City, Recruiter, Slot, Template
from slotwise.repositories import UnitOfWork
from slotwise.settings import get_settings
from tests.conftest import truncate_all
from tests.e2e.conftest import ADMIN
from tests.plugins.cache import reset_app_cache

APP = create_app(get_settings().model_copy())
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@pytest.fixture(scope="module")
async def seeded(_engine: AsyncEngine) -> AsyncIterator[None]:
    """A little data, so that ids 1-3 exist and more than the 404 paths get exercised."""
    from datetime import UTC, datetime, timedelta

    async with UnitOfWork() as uow:
        city = (await uow.cities.add(City(name="Berlin", timezone="Europe/Berlin"))).unwrap()
        for i in range(3):
            recruiter = (await uow.recruiters.add(Recruiter(name=f"R{i}"))).unwrap()
            start = datetime(2030, 1, 7, 9, tzinfo=UTC) + timedelta(days=i)
            await uow.slots.add(Slot(recruiter_id=recruiter.id, city_id=city.id, start_utc=start))
        await uow.templates.add(Template(city_id=None, key="reminder", text="Hi {name}"))
        await uow.commit()
    yield
    await truncate_all(_engine)
    await reset_app_cache()


@schema.parametrize()
@settings(
    max_examples=10,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_no_server_errors(case: schemathesis.Case[Any], seeded: None) -> None:
    case.call_and_validate(
        headers=ADMIN,
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
