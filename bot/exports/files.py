"""How an export's tables become files: one table in the chosen format, several tables as one
workbook, a graph as GraphML, and each of these as a member of a zip.

Every function here takes rows already built (:class:`~bot.exports.tables.Row`) and is plain
blocking code, run in the writer's thread. XLSX and Parquet are imported when asked for: pyarrow
alone would add some 50 MB to every running bot.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import IO

from bot.exports.archive import ArchiveMember, through_file
from bot.exports.codebook import CODEBOOK_FILE, write_codebook
from bot.exports.csv_writer import write_csv
from bot.exports.graphml_writer import write_graphml
from bot.exports.jsonl_writer import write_jsonl
from bot.exports.request import FileFormat
from bot.exports.tables import CODEBOOK, Row, Table, codebook_rows

Target = Path | IO[bytes]

SEEKING_FORMATS = frozenset({FileFormat.XLSX, FileFormat.PARQUET})
"""Formats that need a file they can seek in (not a pipe such as standard output)."""


def write_table(file_format: FileFormat, table: Table, rows: Iterable[Row], out: Target) -> int:
    """Write one table to ``out`` (a path, or a binary stream left open; XLSX and Parquet need a
    path or a stream they can seek in); return the rows written."""
    if file_format is FileFormat.CSV:
        return _to(out, lambda stream: write_csv(table, rows, stream))
    if file_format is FileFormat.JSONL:
        return _to(out, lambda stream: write_jsonl(table, rows, stream))
    if file_format is FileFormat.XLSX:
        from bot.exports.xlsx_writer import write_xlsx

        return write_xlsx(table, rows, out)
    from bot.exports.parquet_writer import write_parquet

    return write_parquet(table, rows, out)


def write_workbook(sheets: Sequence[tuple[Table, Iterable[Row]]], out: Target) -> list[int]:
    """Several tables as the sheets of one workbook, then a ``codebook`` sheet describing their
    columns; the rows written per table."""
    from bot.exports import xlsx_writer

    tables = [table for table, _ in sheets]
    codebook = (CODEBOOK, codebook_rows(tables, None))
    return xlsx_writer.write_workbook([*sheets, codebook], out)[:-1]


def table_member(file_format: FileFormat, table: Table, rows: Iterable[Row]) -> ArchiveMember:
    """One table as a file of a zip, named ``<table>.<format>``."""
    name = table.file_name(file_format.value)
    if file_format in SEEKING_FORMATS:
        return through_file(name, lambda path: write_table(file_format, table, rows, path))
    return ArchiveMember(name, lambda stream: write_table(file_format, table, rows, stream))


def graph_member(
    file_name: str,
    nodes_table: Table,
    nodes: Iterable[Row],
    edges_table: Table,
    edges: Iterable[Row],
) -> ArchiveMember:
    """A graph as a GraphML file of a zip; its row count is its edges."""

    def write(stream: IO[bytes]) -> int:
        return write_graphml(nodes_table, nodes, edges_table, edges, stream)[1]

    return ArchiveMember(file_name, write)


def codebook_member(tables: Sequence[Table], extension: str) -> ArchiveMember:
    """``codebook.csv``: every column of ``tables`` (files named ``<table>.<extension>``)."""
    return ArchiveMember(CODEBOOK_FILE, lambda stream: write_codebook(tables, stream, extension))


def _to(out: Target, write: Callable[[IO[bytes]], int]) -> int:
    if isinstance(out, Path):
        with out.open("wb") as stream:
            return write(stream)
    written = write(out)
    out.flush()
    return written
