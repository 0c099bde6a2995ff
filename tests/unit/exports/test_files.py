"""Tables as files: several tables as one workbook with a codebook sheet, and the formats that
need to seek (XLSX, Parquet) as members of a zip that is written as a stream."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import openpyxl
import pyarrow.parquet as pq

from bot.exports.archive import write_archive
from bot.exports.cells import ColumnType
from bot.exports.files import table_member, write_workbook
from bot.exports.request import FileFormat
from bot.exports.tables import CODEBOOK, Column, Table
from tests.unit.exports.helpers import SAMPLE, sample_row

STATUS = Table(
    "organisation_cop_status",
    (
        Column("organisation", ColumnType.TEXT, "The organisation.", "WaterAid"),
        Column("status", ColumnType.TEXT, "Its status in the CoP.", "member"),
    ),
)


def test_several_tables_are_sheets_of_one_workbook_with_their_codebook(tmp_path: Path) -> None:
    path = tmp_path / "organisations.xlsx"
    counts = write_workbook(
        [(SAMPLE, [sample_row("=2*3"), sample_row("x")]), (STATUS, [("WaterAid", "member")])],
        path,
    )
    assert counts == [2, 1]
    workbook = openpyxl.load_workbook(path, read_only=True)
    assert workbook.sheetnames == ["contributions", "organisation_cop_status", "codebook"]
    status = [list(row) for row in workbook["organisation_cop_status"].iter_rows(values_only=True)]
    assert status == [["organisation", "status"], ["WaterAid", "member"]]
    note = list(workbook["contributions"].iter_rows(values_only=True))[1][-1]
    assert note == "'=2*3"
    codebook = list(workbook["codebook"].iter_rows(values_only=True))
    assert codebook[0] == CODEBOOK.header
    described = {(row[0], row[1]) for row in codebook[1:]}
    assert ("organisation_cop_status", "status") in described
    assert ("contributions", "note") in described
    assert ("codebook", "meaning") in described


def test_seeking_formats_go_into_a_zip_written_to_a_stream() -> None:
    out = io.BytesIO()
    rows = [sample_row(str(number)) for number in range(300)]
    counts = write_archive(
        out,
        [
            table_member(FileFormat.XLSX, SAMPLE, rows),
            table_member(FileFormat.PARQUET, STATUS, [("WaterAid", "member")]),
        ],
        lambda counted: f"{counted}",
    )
    assert counts == {"contributions.xlsx": 300, "organisation_cop_status.parquet": 1}
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.testzip() is None
        workbook = openpyxl.load_workbook(io.BytesIO(archive.read("contributions.xlsx")))
        assert workbook.active is not None and workbook.active.max_row == 301
        table = pq.read_table(io.BytesIO(archive.read("organisation_cop_status.parquet")))
        assert table.to_pylist() == [{"organisation": "WaterAid", "status": "member"}]
