"""Key templates with placeholders: ``"recruiter:{arg1.id}"``.

Placeholders: ``{argN}`` (the N-th argument after ``self``), a parameter name (``{city_id}``),
``{self.attr}``, ``{result}`` (the Success value), each optionally followed by attributes
(``{arg1.recruiter_id}``). A mapped entity stands for its id (``{arg1}`` of ``add(entity)``
is the new id: templates are resolved after the call, on the flushed entity).

Every value is escaped (``cache_keys.escape``), so it stays inside its segment. A placeholder
that cannot be resolved (a missing attribute, an entity without an id) widens the target to
the pattern of the segments before it (``"recruiter:*"``): invalidating more is safe,
invalidating less is not. For a read key it means "do not cache this call".
"""

from __future__ import annotations

import inspect
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import inspect as sa_inspect
from sqlalchemy.exc import SQLAlchemyError

from slotwise.cache.keys import check_key, check_pattern, escape, is_pattern


class Unresolved(Exception):
    """A placeholder has no usable value."""


@dataclass(frozen=True, slots=True)
class _Field:
    root: str
    attrs: tuple[str, ...]


Part = str | _Field


def _is_entity(value: object) -> bool:
    """A mapped instance (any class the ORM maps), not a plain value."""
    return not isinstance(value, str | int | float | bool) and (
        sa_inspect(value, raiseerr=False) is not None
    )


def _entity_id(value: object) -> object:
    if _is_entity(value):
        ident = getattr(value, "id", None)
        if ident is None:
            raise Unresolved("entity has no id yet")
        return ident
    return value


class KeyTemplate:
    """A compiled template; ``render(values)`` gives the key or pattern."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.parts: list[Part] = []
        for literal, field, _spec, _conv in string.Formatter().parse(text):
            if literal:
                self.parts.append(literal)
            if field is not None:
                if not field:
                    raise ValueError(f"cache template {text!r}: empty placeholder")
                root, *attrs = field.split(".")
                self.parts.append(_Field(root, tuple(attrs)))
        self.is_pattern = is_pattern(text)
        self._check_shape()

    def _check_shape(self) -> None:
        sample = "".join(p if isinstance(p, str) else "x" for p in self.parts)
        (check_pattern if self.is_pattern else check_key)(sample)

    def render(self, values: Mapping[str, Any]) -> str:
        """The key (or pattern); raises Unresolved if a placeholder has no value."""
        out: list[str] = []
        for part in self.parts:
            if isinstance(part, str):
                out.append(part)
                continue
            if part.root not in values:
                raise Unresolved(part.root)
            value = values[part.root]
            for attr in part.attrs:
                try:
                    value = getattr(value, attr)
                except (AttributeError, SQLAlchemyError) as exc:  # lazy="raise" relations too
                    raise Unresolved(f"{part.root}.{attr}") from exc
            if part.attrs and part.attrs[-1] == "id" and value is None:
                raise Unresolved(f"{part.root}.id is None")
            out.append(escape(_entity_id(value)))
        return "".join(out)

    def widened(self) -> str:
        """The pattern covering every key this template can produce."""
        literal = ""
        for part in self.parts:
            if not isinstance(part, str):
                break
            literal += part
        head = literal.rsplit(":", 1)[0] if ":" in literal else ""
        return f"{head}:*" if head else "*"

    def render_or_widen(self, values: Mapping[str, Any]) -> str:
        try:
            return self.render(values)
        except Unresolved:
            return self.widened()


class CallValues:
    """The names a template can use, for one call of ``fn``: argN, parameter names, self."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        self.signature = inspect.signature(fn)
        params = list(self.signature.parameters)
        self.positional = params[1:] if params and params[0] == "self" else params

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """``args`` include ``self`` when ``fn`` is a method."""
        bound = self.signature.bind(*args, **kwargs)
        bound.apply_defaults()
        values = dict(bound.arguments)
        for index, name in enumerate(self.positional, start=1):
            if name in values:
                values[f"arg{index}"] = values[name]
        return values
