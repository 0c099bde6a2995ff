"""What an export kind is made of: its files, where their rows come from, how they are built.

A :class:`TableSource` pairs a :class:`~bot.exports.tables.Table` with two functions:
- ``read(session, community_id, start, end)``: an async iterator of batches of stored rows (a
  query in ``storage/exports/``), run on the event loop;
- ``build(stored, scope)``: the file's rows from the stored ones (names, keys, local times,
  people who opted out left out), plain code run in the writer's thread.
A :class:`GraphSource` is a GraphML file made of a node table and an edge table. A
:class:`KindSource` is everything one kind writes. The service (``bot.exports.service``) turns a
kind into one file, a workbook or a zip; the kinds themselves are listed in ``bot.exports.kinds``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.communities import MIN_GROUP_FLOOR
from bot.exports.naming import Namer
from bot.exports.tables import Row, Table

StoredRow = Sequence[Any]
StoredBatches = AsyncIterator[Sequence[StoredRow]]
Reader = Callable[[AsyncSession, int, datetime | None, datetime | None], StoredBatches]
"""``read(session, community_id, start, end)``: one community's stored rows for [start, end)."""
Counter = Callable[[AsyncSession, int, datetime | None, datetime | None], Awaitable[int]]
"""How many rows a reader will give, for a progress bar (the long tables have one)."""


@dataclass(frozen=True, slots=True)
class ExportScope:
    """What every row builder may need: whose rows, which period, which zone, which names."""

    community_id: int
    start: datetime | None
    end: datetime | None
    """Exclusive; None: up to now."""
    timezone: str
    namer: Namer
    min_group: int = MIN_GROUP_FLOOR
    """Groups of fewer people are left out of group figures (``/settings privacy``)."""


Builder = Callable[[Iterable[StoredRow], ExportScope], Iterator[Row]]


@dataclass(frozen=True)
class TableSource:
    table: Table
    read: Reader
    build: Builder
    count: Counter | None = None


@dataclass(frozen=True)
class GraphSource:
    """A GraphML file (``<name>.graphml``): its nodes, then its edges (graphml_writer)."""

    name: str
    nodes: TableSource
    edges: TableSource

    @property
    def file_name(self) -> str:
        return f"{self.name}.graphml"


@dataclass(frozen=True)
class KindSource:
    tables: tuple[TableSource, ...]
    graphs: tuple[GraphSource, ...] = ()
    rows_are: str = "rows"
    """What a row is, for the answer: "contributions", "members", ..."""

    @property
    def is_single_file(self) -> bool:
        return len(self.tables) == 1 and not self.graphs

    @property
    def streams(self) -> tuple[TableSource, ...]:
        """Everything read, in the order the writer takes it: the tables, then each graph's
        nodes and edges (read again: the graph is written after the tables)."""
        return (*self.tables, *(part for g in self.graphs for part in (g.nodes, g.edges)))
