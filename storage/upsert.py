"""Insert-if-absent for both backends (the one primitive behind idempotent writes), and the
row preparation the bulk paths share."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(
    session: AsyncSession,
    table: Table,
    values: Mapping[str, Any],
    conflict_columns: Sequence[str],
) -> bool:
    """Insert one row unless one with the same ``conflict_columns`` exists.

    Returns True when this call inserted the row. Atomic in the database, so two processes
    racing for the same key get exactly one True between them.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*[table.c[name] for name in conflict_columns])
    )
    result = await session.execute(statement)
    return result.first() is not None


def full_records(
    table: Table, rows: Sequence[Mapping[str, Any]]
) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Rows as tuples over every column of the table, with the model's defaults filled in for
    the columns the rows leave out (as SQLAlchemy's INSERT would), for the bulk paths."""
    names = [column.name for column in table.columns]
    defaults = {
        column.name: python_default(column)
        for column in table.columns
        if column.name not in rows[0]
    }
    pick = itemgetter(*names)  # one call in C per row instead of a lookup per column
    if defaults:
        return names, [pick({**defaults, **row}) for row in rows]
    return names, [pick(row) for row in rows]


def python_default(column: Any) -> Any:
    """The value SQLAlchemy would have filled in for a column left out of a row."""
    default = column.default
    if default is None:
        return None
    return default.arg(None) if callable(default.arg) else default.arg
