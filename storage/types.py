"""Column types shared by every table, typed access to what SQLModel leaves loosely typed
(a flushed row's id, a model's table), and rows turned into the domain's frozen values."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy import DateTime, Table, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator
from sqlmodel import SQLModel


def utc_now() -> datetime:
    return datetime.now(UTC)


class HasId(Protocol):
    """A row whose id the database assigns (None until the row is flushed)."""

    @property
    def id(self) -> int | None: ...


def row_id(row: HasId) -> int:
    """The id of a row that has been flushed or loaded; refuses one that has none yet."""
    if row.id is None:
        raise ValueError(
            f"{type(row).__name__} has no id yet: add it to the session and flush first"
        )
    return row.id


if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    Value = TypeVar("Value", bound=DataclassInstance)
else:
    Value = TypeVar("Value")

_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def value_of(value_type: type[Value], row: HasId, /, **converted: Any) -> Value:
    """The domain value ``value_type`` (a frozen dataclass) of ``row``: every field read from the
    row's attribute of the same name, the id narrowed to ``int`` (:func:`row_id`), and the
    fields in ``converted`` given as the storage module converted them (an enum from its
    stored text, a tuple from a JSON list)."""
    names = _FIELD_NAMES.get(value_type)
    if names is None:
        names = _FIELD_NAMES[value_type] = tuple(
            field.name for field in dataclasses.fields(value_type)
        )
    fields = {name: getattr(row, name) for name in names if name not in converted}
    if "id" in fields:
        fields["id"] = row_id(row)
    return value_type(**fields, **converted)


def table_of(model: type[SQLModel]) -> Table:
    """The Core table of a table model (SQLModel sets ``__table__`` without declaring it)."""
    table = inspect(model).local_table
    if not isinstance(table, Table):
        raise TypeError(f"{model.__name__} is not a table model")
    return table


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend.

    PostgreSQL keeps ``timestamptz``; SQLite has no time zones, so the value is stored as naive
    UTC and made aware again when read. Naive datetimes are refused on the way in: they are
    always a bug (local time mistaken for UTC).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given where an aware UTC one is needed")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
