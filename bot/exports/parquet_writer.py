"""Parquet for analysts (pandas, R, DuckDB, Spark): typed columns, written in row groups.

pyarrow's ``ParquetWriter`` with a schema made from the table description: text, ids and local
times as strings, integers as int64, numbers as float64, booleans, dates as date32, and
timestamps as ``timestamp[us, tz=UTC]``. Rows are turned into Arrow arrays a small chunk at a
time (Python values take ten times the memory of Arrow's), and the chunks of ``rows_per_group``
rows are written as one row group: memory stays bounded whatever the number of rows, and row
groups stay large enough to compress and scan well. Text is written as it is: Parquet files are
read by programs, not run by spreadsheets.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.parquet as pq

from bot.exports.cells import Cell, ColumnType
from bot.exports.tables import Row, Table

# The writer holds a whole row group's pages until the group ends: at a dozen columns, peak
# resident memory was 97 MB with 16,384 rows a group, 126 MB with 65,536 and 155 MB with
# 131,072 (pyarrow itself is 50 MB of it). 65,536 rows make groups of a few megabytes.
ROWS_PER_GROUP = 65_536
# Rows held as Python values at a time (a few megabytes at a dozen columns).
_ROWS_PER_CHUNK = 8_192

_ARROW_TYPE: dict[ColumnType, pa.DataType] = {
    ColumnType.TEXT: pa.string(),
    ColumnType.ID: pa.string(),
    ColumnType.INTEGER: pa.int64(),
    ColumnType.NUMBER: pa.float64(),
    ColumnType.BOOLEAN: pa.bool_(),
    ColumnType.TIMESTAMP: pa.timestamp("us", tz="UTC"),
    ColumnType.LOCAL_TIME: pa.string(),
    ColumnType.DATE: pa.date32(),
}


def arrow_schema(table: Table) -> pa.Schema:
    """The Parquet schema of ``table``; each column's meaning is kept as field metadata."""
    return pa.schema(
        [
            pa.field(
                column.name,
                _ARROW_TYPE[column.type],
                nullable=True,
                metadata={"meaning": column.meaning},
            )
            for column in table.columns
        ]
    )


def _id_values(values: Sequence[Cell]) -> list[Cell]:
    return [
        str(value) if isinstance(value, int) and not isinstance(value, bool) else value
        for value in values
    ]


def _finite_values(values: Sequence[Cell]) -> list[Cell]:
    return [
        None if isinstance(value, float) and not math.isfinite(value) else value for value in values
    ]


def _aware_values(values: Sequence[Cell]) -> Sequence[Cell]:
    # pyarrow would store a naive datetime as if it were UTC: refuse it instead
    for value in values:
        if isinstance(value, datetime) and value.utcoffset() is None:
            raise ValueError(f"a time without a time zone cannot be exported: {value!r}")
    return values


_PREPARE: dict[ColumnType, Callable[[Sequence[Cell]], Sequence[Cell]]] = {
    ColumnType.ID: _id_values,
    ColumnType.NUMBER: _finite_values,
    ColumnType.TIMESTAMP: _aware_values,
}


def write_parquet(
    table: Table,
    rows: Iterable[Row],
    out: str | Path | IO[bytes],
    *,
    rows_per_group: int = ROWS_PER_GROUP,
) -> int:
    """Write ``rows`` to ``out`` (a path or a binary stream, left open); return the number of
    rows. A row group holds ``rows_per_group`` rows (rounded up to whole chunks of 8,192 rows
    when larger than that), the last one what is left. A table with no rows still gets a file
    with its schema."""
    if rows_per_group < 1:
        raise ValueError("rows_per_group must be at least 1")
    schema = arrow_schema(table)
    prepare = [_PREPARE.get(column_type) for column_type in table.types]
    rows_per_chunk = min(_ROWS_PER_CHUNK, rows_per_group)
    pending: list[Row] = []  # rows not yet in a chunk
    chunks: list[pa.RecordBatch] = []  # the row group being gathered
    gathered = written = 0

    def to_chunk() -> None:
        nonlocal gathered
        by_column = zip(*pending, strict=True)
        arrays = [
            pa.array(prepared(values) if prepared else values, type=field.type)
            for values, field, prepared in zip(by_column, schema, prepare, strict=True)
        ]
        chunks.append(pa.RecordBatch.from_arrays(arrays, schema=schema))
        gathered += len(pending)
        pending.clear()

    with pq.ParquetWriter(out, schema) as writer:

        def write_group() -> None:
            nonlocal gathered, written
            group = pa.Table.from_batches(chunks, schema=schema)
            writer.write_table(group, row_group_size=gathered)
            written += gathered
            gathered = 0
            chunks.clear()

        for row in table.checked_rows(rows):
            pending.append(row)
            if len(pending) == rows_per_chunk:
                to_chunk()
                if gathered >= rows_per_group:
                    write_group()
        if pending:
            to_chunk()
        if chunks:
            write_group()
    return written
