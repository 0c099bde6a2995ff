"""CSV for spreadsheets: UTF-8 with a byte-order mark, every text cell neutralised.

The byte-order mark is what makes Excel read the file as UTF-8 (without it, accents in names
come out garbled). Lines end in CRLF (RFC 4180, the ``csv`` module's default). Streams: one
row at a time, whatever the number of rows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from bot.exports.cells import FORMULA_STARTS, Cell, ColumnType, neutralise, sheet_renderer
from bot.exports.tables import Row, Table

BYTE_ORDER_MARK = "\ufeff".encode()


# Columns whose cells are written as they come, but for text that may start a formula (a CSV
# file is all text: an int id is written with the same digits as its string).
_AS_THEY_COME = frozenset(
    (ColumnType.TEXT, ColumnType.ID, ColumnType.INTEGER, ColumnType.LOCAL_TIME)
)
# What neutralise() may change: a formula start, or apostrophes in front of one.
_MAY_NEUTRALISE = FORMULA_STARTS | {"'"}


def sheet_rows(table: Table, rows: Iterable[Row]) -> Iterator[list[Cell]]:
    """The rows as a CSV file gets them: what :func:`bot.exports.cells.sheet_renderer` makes of
    each cell, with the per-cell call saved where the cell is written as it comes (the hot loop
    of a million-row export)."""
    types = table.types
    as_they_come = [index for index, kind in enumerate(types) if kind in _AS_THEY_COME]
    rendered = [
        (index, sheet_renderer(kind))
        for index, kind in enumerate(types)
        if kind not in _AS_THEY_COME
    ]
    for row in table.checked_rows(rows):
        cells = list(row)
        for index in as_they_come:
            value = cells[index]
            if isinstance(value, str) and value[:1] in _MAY_NEUTRALISE:
                cells[index] = neutralise(value)
        for index, render in rendered:
            cells[index] = render(cells[index])
        yield cells


def write_csv(table: Table, rows: Iterable[Row], out: IO[bytes]) -> int:
    """Write the header and ``rows`` to the binary stream ``out`` (left open); return the
    number of data rows."""
    out.write(BYTE_ORDER_MARK)
    text = io.TextIOWrapper(out, encoding="utf-8", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(table.header)
        written = 0
        for row in sheet_rows(table, rows):
            writer.writerow(row)
            written += 1
        text.flush()
    finally:
        text.detach()  # the caller's stream stays open (a zip member, standard output)
    return written
