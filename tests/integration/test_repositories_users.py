"""UserRepository (candidates): lookup by Telegram id, which is unique."""

from __future__ import annotations

from collections.abc import Callable

from slotwise.domain.models import User
from slotwise.repositories import UnitOfWork
from slotwise.result import ConflictError, NotFoundError

from .foundation_data import city, error, ok, user

MakeUow = Callable[[], UnitOfWork]


async def test_get_by_telegram_id(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        moscow = await city(uow)
        ivan = await user(uow, 42, "Ivan", timezone="Europe/Moscow", city_id=moscow.id)
        await user(uow, 43, "Olga")
        await uow.commit()
    async with make_uow() as uow:
        found = ok(await uow.users.get_by_telegram_id(42))
        assert (found.id, found.name, found.timezone, found.city_id) == (
            ivan.id,
            "Ivan",
            "Europe/Moscow",
            moscow.id,
        )
        assert found.created_at.tzinfo is not None
        missing = error(await uow.users.get_by_telegram_id(44))
    assert isinstance(missing, NotFoundError)
    assert missing.entity_id == 44


async def test_telegram_ids_use_64_bits(make_uow: MakeUow) -> None:
    big = 2**62 + 12345
    async with make_uow() as uow:
        await user(uow, big, "Big")
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.users.get_by_telegram_id(big)).telegram_id == big


async def test_duplicate_telegram_id_is_a_conflict(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        await user(uow, 42)
        err = error(await uow.users.add(User(telegram_id=42, name="Someone else")))
        assert isinstance(err, ConflictError)
        assert err.conflicting_field == "telegram_id"
        await uow.commit()
    async with make_uow() as uow:
        assert ok(await uow.users.count()) == 1


async def test_update_sets_updated_at(make_uow: MakeUow) -> None:
    async with make_uow() as uow:
        ivan = await user(uow, 42)
        created = ivan.updated_at
        await uow.commit()
    async with make_uow() as uow:
        loaded = ok(await uow.users.get_by_telegram_id(42))
        loaded.name = "Ivan Petrov"
        ok(await uow.users.update(loaded))
        await uow.commit()
    async with make_uow() as uow:
        again = ok(await uow.users.get_by_telegram_id(42))
        assert again.name == "Ivan Petrov"
        assert again.updated_at >= created
