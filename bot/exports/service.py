"""Exports as a service (``bot.exports``): a request in, a file out, an audit record kept.

The rows are read on the event loop in batches and written by the format's writer in a worker
thread (:mod:`bot.exports.bridge`), so an export of any size runs in constant memory and never
blocks the loop. A kind of one table is one file; several tables are one workbook (XLSX) or a
zip with ``codebook.csv`` and ``README.txt``, as is anything with a graph and the ``all`` kind.
Every export is recorded in the audit trail (who, what, period, format, names, rows) once its
file is complete; ``history`` reads those records back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, ClassVar

from bot.communities import Communities, CommunitySettings
from bot.errors import BadInput, NotFound
from bot.exports.archive import ArchiveMember, write_archive
from bot.exports.bridge import FileRows, write_in_thread
from bot.exports.files import (
    SEEKING_FORMATS,
    Target,
    codebook_member,
    graph_member,
    table_member,
    write_table,
    write_workbook,
)
from bot.exports.kinds import SOURCES
from bot.exports.naming import Namer
from bot.exports.readme import readme_text
from bot.exports.request import ExportKind, ExportRequest, FileFormat
from bot.exports.sources import ExportScope, KindSource, StoredRow, TableSource
from bot.exports.tables import Row, Table
from bot.periods import Period
from storage import audit
from storage.db import Database
from storage.exports.people import export_people

__all__ = ["SEEKING_FORMATS", "ExportRecord", "ExportResult", "Exports"]

AUDIT_PREFIX = "export."
COMMAND_LINE = "the command line"
"""Who made an export run with ``copbot export``, in README.txt."""


class Shape(StrEnum):
    FILE = "file"
    """One table in the chosen format."""
    WORKBOOK = "workbook"
    """Several tables as the sheets of one XLSX workbook, with a codebook sheet."""
    ZIP = "zip"
    """Each table in the chosen format, the graphs, codebook.csv and README.txt."""


@dataclass(frozen=True, slots=True)
class ExportResult:
    file_name: str
    rows: int
    """Data rows over all tables (a graph repeats its tables' rows and is not counted again)."""
    rows_by_file: Mapping[str, int]
    rows_are: str
    """What a row is when the export is one table ("contributions"), else "rows"."""


@dataclass(frozen=True, slots=True)
class ExportRecord:
    """One export made, as the audit trail keeps it."""

    made_at: datetime
    actor_id: int | None
    kind: str
    file_format: str
    names: str
    period: str
    rows: int


# ``all``: every kind's tables and graphs, in the order of SOURCES, as CSV in one zip.
ALL = KindSource(
    tuple(table for source in SOURCES.values() for table in source.tables),
    tuple(graph for source in SOURCES.values() for graph in source.graphs),
)


class Exports:
    KINDS: ClassVar[tuple[ExportKind, ...]] = (*SOURCES, ExportKind.ALL)
    """The kinds this version exports."""

    def __init__(self, db: Database, communities: Communities) -> None:
        self.db = db
        self.communities = communities

    @staticmethod
    def file_name(request: ExportRequest) -> str:
        source = _source(request)
        shape = _shape(request, source)
        if shape is Shape.FILE:
            return source.tables[0].table.file_name(request.file_format.value)
        return f"{request.kind}.{'xlsx' if shape is Shape.WORKBOOK else 'zip'}"

    @staticmethod
    def can_stream(request: ExportRequest) -> bool:
        """Whether the file can go to a stream that cannot seek (standard output)."""
        shape = _shape(request, _source(request))
        return shape is Shape.ZIP or (
            shape is Shape.FILE and request.file_format not in SEEKING_FORMATS
        )

    async def write(
        self,
        request: ExportRequest,
        target: Target,
        *,
        actor_id: int | None,
        actor_name: str = COMMAND_LINE,
        on_rows: Callable[[int], None] | None = None,
    ) -> ExportResult:
        """Write the export to ``target`` (a path, or a binary stream left open; see
        :meth:`can_stream`) and record it in the audit trail. ``actor_name`` (a display name,
        never an id) is who README.txt says made it."""
        source = _source(request)
        shape = _shape(request, source)
        community = await self.communities.find(request.community_id)
        if community is None:
            raise NotFound(
                f"copbot knows no server with id {request.community_id}.",
                "Check the id: it is the server's id (Developer Mode, Copy Server ID).",
            )
        key = await self.communities.export_key(request.community_id)
        async with self.db.session() as session:
            people = await export_people(session, request.community_id)
        namer = Namer(key, request.names, visible_names=people.visible_names, absent=people.absent)
        start, end = request.period.bounds(community.timezone)
        scope = ExportScope(
            request.community_id, start, end, community.timezone, namer, community.min_group
        )
        readme = _readme(request, community, namer, actor_name)
        write = _writer(shape, request.file_format, source, scope, readme)
        # A file is written beside its name and renamed when complete: a failed export leaves
        # no half file that looks like a whole one.
        partial = target.with_name(target.name + ".part") if isinstance(target, Path) else target
        try:
            rows_by_file = await write_in_thread(
                [self._read(stream, scope) for stream in source.streams],
                lambda files: write(files, partial),
                on_rows=on_rows,
            )
        except BaseException:
            if isinstance(partial, Path):
                partial.unlink(missing_ok=True)
            raise
        if isinstance(partial, Path) and isinstance(target, Path):
            partial.replace(target)
        rows = sum(
            rows_by_file[_file_of(shape, request.file_format, t.table)] for t in source.tables
        )
        async with self.db.transaction() as session:
            await audit.record_audit(
                session,
                request.community_id,
                actor_id,
                AUDIT_PREFIX + request.kind.value,
                kind=request.kind.value,
                format=request.file_format.value,
                names=request.names.value,
                since=None if request.period.since is None else request.period.since.isoformat(),
                until=None if request.period.until is None else request.period.until.isoformat(),
                rows=rows,
            )
        return ExportResult(
            Exports.file_name(request),
            rows,
            rows_by_file,
            source.rows_are if source.is_single_file else "rows",
        )

    async def expected_rows(self, request: ExportRequest) -> int | None:
        """How many rows the export will have, when its kind can tell beforehand (a progress
        bar's total); None otherwise, or for an unknown community."""
        source = _source(request)
        counters = [t.count for t in source.tables if t.count is not None]
        if source.graphs or len(counters) != len(source.tables):
            return None
        community = await self.communities.find(request.community_id)
        if community is None:
            return None
        start, end = request.period.bounds(community.timezone)
        total = 0
        async with self.db.session() as session:
            for count in counters:
                total += await count(session, request.community_id, start, end)
        return total

    async def history(self, community_id: int, *, limit: int = 25) -> list[ExportRecord]:
        """The exports made in a community, newest first."""
        async with self.db.session() as session:
            events = await audit.audit_with_prefix(session, community_id, AUDIT_PREFIX, limit=limit)
        return [_record(event.created_at, event.actor_id, event.detail) for event in events]

    async def _read(
        self, source: TableSource, scope: ExportScope
    ) -> AsyncIterator[Sequence[StoredRow]]:
        async with self.db.session() as session:
            async for batch in source.read(session, scope.community_id, scope.start, scope.end):
                yield batch


def _source(request: ExportRequest) -> KindSource:
    if request.kind is ExportKind.ALL:
        if request.file_format is not FileFormat.CSV:
            raise BadInput(
                f"The `all` export is a zip of CSV files; it cannot be made as "
                f"{request.file_format.value.upper()}.",
                "Leave the format out, or export one kind in that format.",
            )
        return ALL
    source = SOURCES.get(request.kind)
    if source is None:
        raise BadInput(
            f"The `{request.kind}` export is not available in this version.",
            "Choose one of: " + ", ".join(f"`{k}`" for k in Exports.KINDS) + ".",
        )
    return source


def _shape(request: ExportRequest, source: KindSource) -> Shape:
    if request.kind is ExportKind.ALL or source.graphs:
        return Shape.ZIP
    if source.is_single_file:
        return Shape.FILE
    return Shape.WORKBOOK if request.file_format is FileFormat.XLSX else Shape.ZIP


def _file_of(shape: Shape, file_format: FileFormat, table: Table) -> str:
    """Where a table's rows go: its file, or in a workbook its sheet."""
    return table.name if shape is Shape.WORKBOOK else table.file_name(file_format.value)


WriteFiles = Callable[[list[FileRows], Target], dict[str, int]]


def _writer(
    shape: Shape,
    file_format: FileFormat,
    source: KindSource,
    scope: ExportScope,
    readme: Callable[[Mapping[str, int]], str],
) -> WriteFiles:
    """What the writer's thread runs: the streams' stored rows in (``source.streams``), the
    rows per file (or sheet) out. Rows are built (named, timed) as they are written, in stream
    order."""
    tables = [t.table for t in source.tables]
    streams = source.streams

    def built(files: list[FileRows], index: int) -> Iterator[Row]:
        return streams[index].build(files[index], scope)

    def one_file(files: list[FileRows], target: Target) -> dict[str, int]:
        rows = write_table(file_format, tables[0], built(files, 0), target)
        return {_file_of(shape, file_format, tables[0]): rows}

    def workbook(files: list[FileRows], target: Target) -> dict[str, int]:
        counts = write_workbook(
            [(table, built(files, index)) for index, table in enumerate(tables)], target
        )
        return {table.name: rows for table, rows in zip(tables, counts, strict=True)}

    def archive(files: list[FileRows], target: Target) -> dict[str, int]:
        members: list[ArchiveMember] = [
            table_member(file_format, table, built(files, index))
            for index, table in enumerate(tables)
        ]
        for number, graph in enumerate(source.graphs):
            nodes_at = len(tables) + 2 * number
            members.append(
                graph_member(
                    graph.file_name,
                    graph.nodes.table,
                    built(files, nodes_at),
                    graph.edges.table,
                    built(files, nodes_at + 1),
                )
            )
        members.append(codebook_member(tables, file_format.value))
        return write_archive(target, members, readme)

    return {Shape.FILE: one_file, Shape.WORKBOOK: workbook, Shape.ZIP: archive}[shape]


def _readme(
    request: ExportRequest, community: CommunitySettings, namer: Namer, actor_name: str
) -> Callable[[Mapping[str, int]], str]:
    made_at = datetime.now(UTC)
    return lambda rows_by_file: readme_text(
        community=community.name,
        kind=request.kind,
        period=request.period,
        timezone=community.timezone,
        made_at=made_at,
        made_by=actor_name,
        names=namer.describe(),
        rows_by_file=rows_by_file,
    )


def _record(made_at: datetime, actor_id: int | None, detail: dict[str, Any]) -> ExportRecord:
    since, until = detail.get("since"), detail.get("until")
    period = Period(
        None if since is None else date.fromisoformat(since),
        None if until is None else date.fromisoformat(until),
    ).describe()
    return ExportRecord(
        made_at=made_at,
        actor_id=actor_id,
        kind=str(detail.get("kind", "")),
        file_format=str(detail.get("format", "")),
        names=str(detail.get("names", "")),
        period=period,
        rows=int(detail.get("rows", 0)),
    )
