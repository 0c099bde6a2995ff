"""Table descriptions: names, row widths, and the codebook made from them."""

from __future__ import annotations

import csv
import io

import pytest

from bot.exports.cells import ColumnType
from bot.exports.codebook import write_codebook
from bot.exports.tables import CODEBOOK, Column, Table, codebook_rows
from tests.unit.exports.helpers import SAMPLE

EDGES = Table(
    "network_people",
    (
        Column("source", ColumnType.ID, "Who replied.", "m-3f9a1c2b7d4e"),
        Column("target", ColumnType.ID, "To whom.", "m-0a1b2c3d4e5f"),
        Column("weight", ColumnType.NUMBER, "How many replies.", "3"),
    ),
)


def test_the_header_is_the_column_names_in_order() -> None:
    assert EDGES.header == ("source", "target", "weight")
    assert EDGES.file_name("csv") == "network_people.csv"


@pytest.mark.parametrize("name", ["Posted At", "postedAt", "posted-at", "_x", "x_", "1x", ""])
def test_column_names_are_snake_case(name: str) -> None:
    with pytest.raises(ValueError, match="snake_case"):
        Column(name, ColumnType.TEXT, "Something.", "x")


def test_a_table_names_each_column_once_and_every_column_has_a_meaning() -> None:
    column = Column("kind", ColumnType.TEXT, "What it was.", "reply")
    with pytest.raises(ValueError, match="kind"):
        Table("contributions", (column, column))
    with pytest.raises(ValueError, match="meaning"):
        Column("kind", ColumnType.TEXT, " ", "reply")
    with pytest.raises(ValueError, match="no columns"):
        Table("empty", ())


def test_a_row_of_the_wrong_width_is_refused() -> None:
    rows = [("a", "b", 1.0), ("a", "b")]
    with pytest.raises(ValueError, match="data row 2 has 2 cells for 3 columns"):
        list(EDGES.checked_rows(rows))


def test_the_codebook_lists_every_column_of_every_table() -> None:
    out = io.BytesIO()
    written = write_codebook([SAMPLE, EDGES], out)
    lines = list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"), newline="")))
    assert lines[0] == ["file", "column", "type", "meaning", "example"]
    listed = [(row[0], row[1]) for row in lines[1:]]
    expected = [
        (table.file_name("csv"), column.name)
        for table in (SAMPLE, EDGES, CODEBOOK)
        for column in table.columns
    ]
    assert listed == expected
    assert written == len(expected)
    posted_at = lines[1 + SAMPLE.header.index("posted_at")]
    assert posted_at[2:] == ["timestamp_utc", "When, in UTC.", "2026-12-07T09:30:00Z"]


def test_the_codebook_names_files_by_their_format() -> None:
    files = {row[0] for row in codebook_rows([EDGES], extension="xlsx")}
    assert files == {"network_people.xlsx", "codebook.csv"}
