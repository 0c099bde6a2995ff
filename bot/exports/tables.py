"""The declarative description of an export file: its name and its columns.

One :class:`Table` gives the header row of every format and the rows of ``codebook.csv`` (file,
column, type, meaning, example), so the file and its documentation cannot drift apart. Column
names are stable snake_case: people's scripts and spreadsheets refer to them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from bot.exports.cells import Cell, ColumnType

Row = Sequence[Cell]

_SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


@dataclass(frozen=True)
class Column:
    name: str
    type: ColumnType
    meaning: str
    """For the codebook: what the value is, in a sentence a coordinator understands."""
    example: str
    """For the codebook: a value as it appears in a CSV file."""

    def __post_init__(self) -> None:
        if not _SNAKE_CASE.fullmatch(self.name):
            raise ValueError(f"column name {self.name!r} is not snake_case")
        if not self.meaning.strip():
            raise ValueError(f"column {self.name!r} needs a meaning for the codebook")


@dataclass(frozen=True)
class Table:
    """An export file: ``name`` is its file name without the extension."""

    name: str
    columns: tuple[Column, ...]

    def __post_init__(self) -> None:
        if not _SNAKE_CASE.fullmatch(self.name):
            raise ValueError(f"table name {self.name!r} is not snake_case")
        if not self.columns:
            raise ValueError(f"table {self.name!r} has no columns")
        names = [column.name for column in self.columns]
        doubled = sorted({name for name in names if names.count(name) > 1})
        if doubled:
            raise ValueError(f"table {self.name!r} names a column twice: {', '.join(doubled)}")

    @property
    def header(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.columns)

    @property
    def types(self) -> tuple[ColumnType, ...]:
        return tuple(column.type for column in self.columns)

    def file_name(self, extension: str) -> str:
        return f"{self.name}.{extension}"

    def column(self, name: str) -> Column:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"table {self.name!r} has no column {name!r}")

    def checked_rows(self, rows: Iterable[Row]) -> Iterator[Row]:
        """The rows, each checked to have one cell per column: a row that is too short or too
        long would shift every later cell under the wrong header."""
        width = len(self.columns)
        for number, row in enumerate(rows, start=1):
            if len(row) != width:
                raise ValueError(
                    f"{self.name}: data row {number} has {len(row)} cells for {width} columns"
                )
            yield row


CODEBOOK = Table(
    "codebook",
    (
        Column(
            "file",
            ColumnType.TEXT,
            "The file the column is in (in a workbook: the sheet).",
            "contributions.csv",
        ),
        Column("column", ColumnType.TEXT, "The column's name in the header row.", "kind"),
        Column(
            "type",
            ColumnType.TEXT,
            "What the values are: text, id (an identifier, as text), integer, number, boolean "
            "(true or false), timestamp_utc (ISO 8601 in UTC), local_time (ISO 8601 in the "
            "community's time zone, with its offset) or date (YYYY-MM-DD).",
            "timestamp_utc",
        ),
        Column("meaning", ColumnType.TEXT, "What the column says.", "When it was posted."),
        Column("example", ColumnType.TEXT, "A value as it may appear.", "2026-12-07T09:30:00Z"),
    ),
)
"""``codebook.csv`` describes itself too: it is one of the files of an ``all`` export."""


def codebook_rows(
    tables: Iterable[Table], extension: str | None = "csv"
) -> Iterator[tuple[str, ...]]:
    """One row per column of every table (files named ``<table>.<extension>``; with None, the
    tables are sheets of one workbook, named as the table), in file and column order, then the
    rows of the codebook itself."""
    own = CODEBOOK.name if extension is None else CODEBOOK.file_name("csv")
    named = [
        (table.name if extension is None else table.file_name(extension), table)
        for table in tables
        if table != CODEBOOK
    ]
    for file_name, table in (*named, (own, CODEBOOK)):
        for column in table.columns:
            yield (
                file_name,
                column.name,
                column.type.value,
                column.meaning,
                column.example,
            )
