"""Placeholders in cache templates: the document's forms, resolved after the call, escaped."""

from __future__ import annotations

import pytest

from slotwise.cache.templates import CallValues, KeyTemplate, Unresolved
from slotwise.domain.models import Recruiter, Slot


class Repo:
    tenant = "acme"

    async def add(self, entity: Recruiter) -> None: ...

    async def by(self, city_id: int, key: str = "hello") -> None: ...


def values(fn: object, *args: object, **kwargs: object) -> dict[str, object]:
    return CallValues(fn).bind((Repo(), *args), kwargs)  # type: ignore[arg-type]


def test_arg_n_parameter_names_self_and_defaults() -> None:
    bound = values(Repo.by, 3)
    assert KeyTemplate("t:{arg1}:{key}").render(bound) == "t:3:hello"
    assert KeyTemplate("t:{city_id}:{arg2}").render(bound) == "t:3:hello"
    assert KeyTemplate("t:{self.tenant}:{arg1}").render(bound) == "t:acme:3"


def test_an_entity_stands_for_its_id_once_it_has_one() -> None:
    entity = Recruiter(name="A", timezone="UTC")
    bound = values(Repo.add, entity)
    template = KeyTemplate("recruiter:{arg1}")
    with pytest.raises(Unresolved):
        template.render(bound)  # not flushed: no id yet
    assert template.render_or_widen(bound) == "recruiter:*"  # invalidating more is safe
    entity.id = 17
    assert template.render(bound) == "recruiter:17"
    assert KeyTemplate("recruiter:{arg1.id}").render(bound) == "recruiter:17"


def test_attributes_of_arguments() -> None:
    slot = Slot(recruiter_id=4)
    bound = values(Repo.add, slot)
    assert (
        KeyTemplate("slots:free:recruiter:{arg1.recruiter_id}:*").render(bound)
        == "slots:free:recruiter:4:*"
    )
    assert KeyTemplate("x:{arg1.nope}").render_or_widen(bound) == "x:*"
    assert KeyTemplate("{arg1.nope}:x").render_or_widen(bound) == "*"


def test_values_are_escaped() -> None:
    bound = values(Repo.by, "1:*")
    assert KeyTemplate("t:{arg1}").render(bound) == "t:1%3A%2A"


@pytest.mark.parametrize("bad", ["t:{}", "t*", "t:{arg1}*", "::{arg1}"])
def test_bad_templates_are_refused_at_decoration(bad: str) -> None:
    with pytest.raises(ValueError):
        KeyTemplate(bad)
