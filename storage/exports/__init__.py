"""The queries behind coordinators' exports: each streams one community's rows in batches
(``yield_per``), so an export of any size holds a few thousand rows at a time. Each module
gives the readers of one kind (``bot.exports.sources.Reader``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from typing import Any

from sqlalchemy import Executable
from sqlalchemy.ext.asyncio import AsyncSession

BATCH_ROWS = 5_000


async def batches_of(
    rows: Iterable[Sequence[Any]], size: int = BATCH_ROWS
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """Rows already in memory (a small table read whole) as batches."""
    batch: list[Sequence[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def stream_batches(
    session: AsyncSession, statement: Executable, batch_rows: int = BATCH_ROWS
) -> AsyncIterator[Sequence[Sequence[Any]]]:
    """The rows of ``statement`` streamed from the database, ``batch_rows`` at a time."""
    result = await session.stream(statement.execution_options(yield_per=batch_rows))
    async for batch in result.partitions(batch_rows):
        yield batch
