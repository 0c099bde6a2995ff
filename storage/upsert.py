"""Insert-if-absent for both backends: the one primitive behind idempotent writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
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
    dialect = session.bind.dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=list(conflict_columns))
        .returning(*[table.c[name] for name in conflict_columns])
    )
    result = await session.execute(statement)
    return result.first() is not None
