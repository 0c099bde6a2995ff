"""Exports as a service (``bot.exports``): a request in, a file out, an audit record kept.

The rows are read on the event loop in batches and written by the format's writer in a worker
thread (:mod:`bot.exports.bridge`), so an export of any size runs in constant memory and never
blocks the loop. Every export is recorded in the audit trail (who, what, period, format, names,
rows) once its file is complete; ``history`` reads those records back.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, ClassVar

from bot.communities import Communities
from bot.errors import BadInput, NotFound
from bot.exports.bridge import write_in_thread
from bot.exports.contributions import CONTRIBUTIONS, contribution_rows
from bot.exports.csv_writer import write_csv
from bot.exports.jsonl_writer import write_jsonl
from bot.exports.naming import Namer
from bot.exports.request import ExportKind, ExportRequest, FileFormat
from bot.exports.tables import Row, Table
from storage import audit
from storage.db import Database
from storage.exports.contributions import contribution_batches
from storage.exports.people import export_people

AUDIT_PREFIX = "export."
Target = Path | IO[bytes]

# Formats that need a file they can seek in (not a pipe such as standard output).
SEEKING_FORMATS = frozenset({FileFormat.XLSX, FileFormat.PARQUET})


@dataclass(frozen=True, slots=True)
class ExportResult:
    file_name: str
    rows: int


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


# The file each kind makes (a kind with several files is written as a zip of them).
TABLES: dict[ExportKind, Table] = {ExportKind.CONTRIBUTIONS: CONTRIBUTIONS}


class Exports:
    KINDS: ClassVar[tuple[ExportKind, ...]] = tuple(TABLES)
    """The kinds this version exports."""

    def __init__(self, db: Database, communities: Communities) -> None:
        self.db = db
        self.communities = communities

    def file_name(self, request: ExportRequest) -> str:
        return _table(request.kind).file_name(request.file_format.value)

    async def write(
        self,
        request: ExportRequest,
        target: Target,
        *,
        actor_id: int | None,
        on_rows: Callable[[int], None] | None = None,
    ) -> ExportResult:
        """Write the export to ``target`` (a path, or a binary stream left open; XLSX and
        Parquet need a path or a stream they can seek in) and record it in the audit trail."""
        table = _table(request.kind)
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
        batches = self._contributions(request, start, end)
        # A file is written beside its name and renamed when complete: a failed export leaves
        # no half file that looks like a whole one.
        partial = target.with_name(target.name + ".part") if isinstance(target, Path) else target
        write = _writer(request.file_format, table, partial)
        try:
            # Rows are named and timed in the worker thread too: the event loop only reads.
            rows = await write_in_thread(
                [batches],
                lambda files: write(contribution_rows(files[0], namer, community.timezone)),
                on_rows=on_rows,
            )
        except BaseException:
            if isinstance(partial, Path):
                partial.unlink(missing_ok=True)
            raise
        if isinstance(partial, Path) and isinstance(target, Path):
            partial.replace(target)
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
        return ExportResult(table.file_name(request.file_format.value), rows)

    async def history(self, community_id: int, *, limit: int = 25) -> list[ExportRecord]:
        """The exports made in a community, newest first."""
        async with self.db.session() as session:
            events = await audit.audit_with_prefix(session, community_id, AUDIT_PREFIX, limit=limit)
        return [_record(event.created_at, event.actor_id, event.detail) for event in events]

    async def _contributions(
        self, request: ExportRequest, start: datetime | None, end: datetime | None
    ) -> AsyncIterator[Sequence[Row]]:
        async with self.db.session() as session:
            async for stored in contribution_batches(session, request.community_id, start, end):
                yield stored


def _table(kind: ExportKind) -> Table:
    table = TABLES.get(kind)
    if table is None:
        raise BadInput(
            f"The `{kind}` export is not available in this version.",
            "Choose one of: " + ", ".join(f"`{k}`" for k in TABLES) + ".",
        )
    return table


def _writer(
    file_format: FileFormat, table: Table, target: Target
) -> Callable[[Iterable[Row]], int]:
    if file_format is FileFormat.CSV:
        return lambda rows: _to(target, lambda out: write_csv(table, rows, out))
    if file_format is FileFormat.JSONL:
        return lambda rows: _to(target, lambda out: write_jsonl(table, rows, out))
    # Imported when asked for: pyarrow alone would add some 50 MB to every running bot.
    if file_format is FileFormat.XLSX:
        from bot.exports.xlsx_writer import write_xlsx

        return lambda rows: write_xlsx(table, rows, target)
    from bot.exports.parquet_writer import write_parquet

    return lambda rows: write_parquet(table, rows, target)


def _to(target: Target, write: Callable[[IO[bytes]], int]) -> int:
    if isinstance(target, Path):
        with target.open("wb") as out:
            return write(out)
    written = write(target)
    target.flush()
    return written


def _record(made_at: datetime, actor_id: int | None, detail: dict[str, Any]) -> ExportRecord:
    since, until = detail.get("since"), detail.get("until")
    if since is None and until is None:
        period = "everything"
    else:
        period = f"{since or 'the start'} to {until or 'now'}"
    return ExportRecord(
        made_at=made_at,
        actor_id=actor_id,
        kind=str(detail.get("kind", "")),
        file_format=str(detail.get("format", "")),
        names=str(detail.get("names", "")),
        period=period,
        rows=int(detail.get("rows", 0)),
    )
