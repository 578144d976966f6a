"""TemplateRepository: a city's own text wins over the global one (city_id NULL)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pytest

from slotwise.domain.models import Template
from slotwise.repositories import UnitOfWork
from slotwise.result import ConflictError, NotFoundError, ValidationError

from .foundation_data import city, error, ok, template

MakeUow = Callable[[], UnitOfWork]


async def texts(make_uow: MakeUow) -> dict[str, int]:
    """Global: greet, remind, bye. Moscow overrides remind and has its own 'local'."""
    async with make_uow() as uow:
        moscow = await city(uow, "Moscow")
        berlin = await city(uow, "Berlin", timezone="Europe/Berlin")
        ids = {"moscow": moscow.id, "berlin": berlin.id}
        for key in ("remind", "greet", "bye"):
            ids[f"global:{key}"] = (await template(uow, key, f"global {key}")).id
        ids["moscow:remind"] = (await template(uow, "remind", "moscow remind", moscow.id)).id
        ids["moscow:local"] = (await template(uow, "local", "moscow only", moscow.id)).id
        await uow.commit()
    return ids


def pairs(templates: Sequence[Template]) -> list[tuple[str, str]]:
    return [(t.key, t.text) for t in templates]


async def test_get_for_city_falls_back_to_global_per_key(make_uow: MakeUow) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        assert pairs(ok(await uow.templates.get_for_city(ids["moscow"]))) == [
            ("bye", "global bye"),
            ("greet", "global greet"),
            ("local", "moscow only"),
            ("remind", "moscow remind"),
        ]
        assert pairs(ok(await uow.templates.get_for_city(ids["berlin"]))) == [
            ("bye", "global bye"),
            ("greet", "global greet"),
            ("remind", "global remind"),
        ]


async def test_get_for_city_none_is_the_global_set(make_uow: MakeUow) -> None:
    await texts(make_uow)
    async with make_uow() as uow:
        assert [t.key for t in ok(await uow.templates.get_for_city(None))] == [
            "bye",
            "greet",
            "remind",
        ]
        assert all(t.city_id is None for t in ok(await uow.templates.get_for_city(None)))


async def test_get_for_city_of_an_unknown_city_is_the_global_set(make_uow: MakeUow) -> None:
    await texts(make_uow)
    async with make_uow() as uow:
        assert len(ok(await uow.templates.get_for_city(987_654))) == 3


async def test_get_for_city_with_no_templates(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        assert list(ok(await uow.templates.get_for_city(None))) == []


@pytest.mark.parametrize(
    ("where", "key", "expected"),
    [
        ("moscow", "remind", "moscow:remind"),
        ("moscow", "greet", "global:greet"),
        ("moscow", "local", "moscow:local"),
        ("berlin", "remind", "global:remind"),
        (None, "remind", "global:remind"),
    ],
)
async def test_resolve(make_uow: MakeUow, where: str | None, key: str, expected: str) -> None:
    ids = await texts(make_uow)
    city_id = ids[where] if where else None
    async with make_uow() as uow:
        assert ok(await uow.templates.resolve(city_id, key)).id == ids[expected]


@pytest.mark.parametrize(("where", "key"), [("berlin", "local"), (None, "local"), (None, "nope")])
async def test_resolve_not_found(make_uow: MakeUow, where: str | None, key: str) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        err = error(await uow.templates.resolve(ids[where] if where else None, key))
    assert isinstance(err, NotFoundError)
    assert key in str(err)


async def test_resolve_falls_back_once_the_city_text_is_gone(make_uow: MakeUow) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        ok(await uow.templates.delete(ids["moscow:remind"]))
        assert ok(await uow.templates.resolve(ids["moscow"], "remind")).text == "global remind"


async def test_list_filters_and_pages(make_uow: MakeUow) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        every = ok(await uow.templates.list())
        assert every.total == 5
        assert [t.id for t in every.items] == sorted(t.id for t in every.items)
        moscow = ok(await uow.templates.list(city_id=ids["moscow"]))
        assert sorted(t.key for t in moscow.items) == ["local", "remind"]
        reminders = ok(await uow.templates.list(key="remind"))
        assert sorted(t.id for t in reminders.items) == sorted(
            [ids["global:remind"], ids["moscow:remind"]]
        )
        one = ok(await uow.templates.list(city_id=ids["moscow"], key="remind"))
        assert [t.id for t in one.items] == [ids["moscow:remind"]]
        page = ok(await uow.templates.list(limit=2, offset=4))
        assert (len(page.items), page.total) == (1, 5)
        assert isinstance(error(await uow.templates.list(limit=0)), ValidationError)


async def test_one_global_text_per_key(make_uow: MakeUow) -> None:
    await texts(make_uow)
    async with make_uow() as uow:
        err = error(await uow.templates.add(Template(city_id=None, key="greet", text="again")))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "key"
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.templates.count()) == 5


async def test_one_text_per_city_and_key(make_uow: MakeUow) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        err = error(
            await uow.templates.add(Template(city_id=ids["moscow"], key="remind", text="again"))
        )
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "key"
        # The same key in another city is fine.
        ok(await uow.templates.add(Template(city_id=ids["berlin"], key="remind", text="berlin")))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.templates.resolve(ids["berlin"], "remind")).text == "berlin"


async def test_a_city_going_away_takes_its_texts(make_uow: MakeUow) -> None:
    ids = await texts(make_uow)
    async with make_uow() as uow:
        ok(await uow.cities.delete(ids["moscow"]))
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.templates.count()) == 3
