"""The common base of the entities: a keyword constructor that starts from the domain's
defaults, so a new entity is valid-looking (a Slot ``free``, a Recruiter in ``UTC``) before any
validation or transition runs, whether or not it is ever stored."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from sqlalchemy.orm import InstanceState, Mapper


class Entity:
    """An entity. Subclasses declare their attributes as ``Mapped[...]`` so that, once the
    persistence side maps them, ``Slot.start_utc >= x`` types as a SQL expression."""

    #: attribute -> the value a new entity starts with. Other attributes stay unset (a mapped
    #: class reads them as None; the cache refuses an entity with unset columns).
    DEFAULTS: ClassVar[Mapping[str, object]] = {}
    #: the relations the constructor accepts besides the columns.
    RELATIONS: ClassVar[frozenset[str]] = frozenset()
    #: the column attributes (every ``Mapped[...]`` annotation that is not a relation).
    COLUMNS: ClassVar[frozenset[str]] = frozenset()

    if TYPE_CHECKING:
        # What DeclarativeBase declares, so that ``inspect(Slot)`` types as ``Mapper[Slot]``.
        def _sa_inspect_type(self) -> Mapper[Self]: ...

        def _sa_inspect_instance(self) -> InstanceState[Self]: ...

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        names: set[str] = set()
        for klass in cls.__mro__:
            for name, annotation in vars(klass).get("__annotations__", {}).items():
                if str(annotation).startswith("Mapped["):
                    names.add(name)
        cls.COLUMNS = frozenset(names - cls.RELATIONS)

    def __init__(self, **kwargs: Any) -> None:
        cls = type(self)
        unknown = kwargs.keys() - cls.COLUMNS - cls.RELATIONS
        if unknown:
            name = sorted(unknown)[0]
            raise TypeError(f"{name!r} is an invalid keyword argument for {cls.__name__}")
        for key, value in (dict(cls.DEFAULTS) | kwargs).items():
            setattr(self, key, value)
